"""Fan-out and once-only jobs on a real PostgreSQL, with two replicas' services in one process
(and a real process for the one that dies mid-job)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from orgloop.app import Services, build_services
from orgloop.catalog.events import CatalogChanged
from orgloop.catalog.models import ImportRequest
from orgloop.flags.events import FlagsChanged
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import SystemClock
from orgloop.kernel.errors import Conflict
from orgloop.kernel.fanout import Fanout
from orgloop.kernel.jobs import Jobs
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings
from orgloop.kernel.tokens import TokenRevoked
from tests.catalog.builders import shop_payload
from tests.conftest import _truncate_all

pytestmark = pytest.mark.postgres


class Heard:
    """Events of some types as one replica's bus delivers them; ``wait`` blocks until one came."""

    def __init__(self, bus: EventBus, *types: type) -> None:
        self.events: list[object] = []
        self._arrived = threading.Condition()
        for event_type in types:
            bus.subscribe(event_type, self._add)

    def _add(self, event: object) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[object]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


def _replica(url: str, path: Path) -> Services:
    services = build_services(Settings(data_dir=path, database_url=url), migrate=False)
    assert services.fanout is not None
    assert services.fanout.listening.wait(10)
    return services


@pytest.fixture
def two(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Services, Services]]:
    _truncate_all(postgres_database)
    a = _replica(postgres_database, tmp_path / "a")
    b = _replica(postgres_database, tmp_path / "b")
    yield a, b
    a.close()
    b.close()


def test_a_catalog_import_on_one_replica_reaches_the_others_bus(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    heard = Heard(b.bus, CatalogChanged)
    a.catalog.import_catalog(
        ImportRequest.model_validate({"entities": shop_payload()}), actor=SYSTEM
    )
    (event,) = heard.wait()
    assert isinstance(event, CatalogChanged)
    assert "group:default/checkout" in event.changed


def test_a_change_that_rolls_back_is_not_announced(two: tuple[Services, Services]) -> None:
    a, b = two
    heard = Heard(b.bus, TokenRevoked)
    last_admin = a.tokens.bootstrap_admin()
    assert last_admin is not None
    with pytest.raises(Conflict):  # the last admin token cannot be revoked: rolled back
        a.tokens.revoke(last_admin.token.id, actor=SYSTEM)
    viewer = a.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM)
    a.tokens.revoke(viewer.token.id, actor=SYSTEM)
    assert heard.wait() == [TokenRevoked(token_id=viewer.token.id)]


def test_the_announcing_replica_hears_its_own_event_once(two: tuple[Services, Services]) -> None:
    a, b = two
    on_a, on_b = Heard(a.bus, TokenRevoked), Heard(b.bus, TokenRevoked)
    viewer = a.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM)
    a.tokens.revoke(viewer.token.id, actor=SYSTEM)
    on_b.wait()
    b.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM)  # a later change, heard after it
    b_viewer = b.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM)
    b.tokens.revoke(b_viewer.token.id, actor=SYSTEM)
    assert on_a.wait(2) == [
        TokenRevoked(token_id=viewer.token.id),
        TokenRevoked(token_id=b_viewer.token.id),
    ]


@dataclass(frozen=True, slots=True)
class Big:
    text: str


def test_an_event_too_large_for_notify_arrives_as_its_gap(postgres_database: str) -> None:
    buses = [EventBus(), EventBus()]
    links = [Fanout(url=postgres_database, bus=bus) for bus in buses]
    for bus, link in zip(buses, links, strict=True):
        link.relay(Big, gap=lambda: Big(text=""))
        bus.send_through(link.notify)
        link.start()
        assert link.listening.wait(10)
    heard = Heard(buses[1], Big)
    engine = sa.create_engine(postgres_database)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session, session.begin():
            buses[0].announce(session, Big(text="x" * 10_000))
            buses[0].announce(session, Big(text="small"))
        assert heard.wait(2) == [Big(text=""), Big(text="small")]
    finally:
        for link in links:
            link.close()
        engine.dispose()


def test_a_replica_that_lost_its_listening_connection_assumes_it_missed_changes(
    two: tuple[Services, Services], postgres_database: str
) -> None:
    _, b = two
    assert b.fanout is not None
    heard = Heard(b.bus, FlagsChanged, TokenRevoked, CatalogChanged)
    engine = sa.create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # as a PostgreSQL restart or a dropped connection would
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN orgloop_events%' AND datname = current_database()"
            )
        )
    engine.dispose()
    events = heard.wait(3, timeout=10)
    assert set(events) == {
        FlagsChanged(key="", environments=()),
        TokenRevoked(token_id=None),
        CatalogChanged(changed=(), removed=()),
    }


def test_a_job_is_run_by_one_replica_per_period(postgres_database: str, tmp_path: Path) -> None:
    _truncate_all(postgres_database)
    settings = [Settings(data_dir=tmp_path / n, database_url=postgres_database) for n in "ab"]
    a, b = (build_services(s, migrate=False) for s in settings)
    try:
        ran: list[str] = []
        assert not a.jobs.run_if_due("count", 0.0, lambda: ran.append("first sight"))  # scheduled
        assert a.jobs.run_if_due("count", 3600.0, lambda: ran.append("a"))
        assert not b.jobs.run_if_due("count", 3600.0, lambda: ran.append("b"))  # not due again
        assert ran == ["a"]
    finally:
        a.close()
        b.close()


DIES_MID_JOB = """
import os, sys, time
from orgloop.kernel.clock import SystemClock
from orgloop.kernel.db import Database
from orgloop.kernel.jobs import Jobs
jobs = Jobs(db=Database.from_url(sys.argv[1]), clock=SystemClock(), replica="doomed")
jobs.run_if_due("takeover", 0.0, lambda: None)  # first sight: due at once
def hang():
    print("running", flush=True)
    time.sleep(600)
jobs.run_if_due("takeover", 3600.0, hang)
"""


def test_a_replica_that_dies_mid_job_leaves_it_to_another(postgres_database: str) -> None:
    from orgloop.kernel.db import Database

    doomed = subprocess.Popen(
        [sys.executable, "-c", DIES_MID_JOB, postgres_database], stdout=subprocess.PIPE, text=True
    )
    db = Database.from_url(postgres_database)
    survivor = Jobs(db=db, clock=SystemClock(), replica="survivor")
    try:
        assert doomed.stdout is not None
        assert doomed.stdout.readline().strip() == "running"
        assert not survivor.run_if_due("takeover", 3600.0, lambda: None)  # it runs elsewhere
        [seen] = [job for job in survivor.status() if job.name == "takeover"]
        assert (seen.running, seen.last_replica, seen.runs) == (True, "doomed", 0)
        assert seen.every_seconds is None  # no timer for it on this replica
        doomed.kill()  # kill -9 mid-run
        doomed.wait(10)
        ran: list[str] = []
        deadline = time.monotonic() + 5  # PostgreSQL ends the dead client's session on its own
        while not survivor.run_if_due("takeover", 3600.0, lambda: ran.append("survivor")):
            assert time.monotonic() < deadline, "the dead replica's lock was never released"
            time.sleep(0.05)
        assert ran == ["survivor"]
        [seen] = [job for job in survivor.status() if job.name == "takeover"]
        assert (seen.running, seen.last_replica, seen.runs) == (False, "survivor", 1)
    finally:
        if doomed.poll() is None:
            doomed.kill()
        db.engine.dispose()
