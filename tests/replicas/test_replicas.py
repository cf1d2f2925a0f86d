"""Two real ``orgloop serve`` replicas on one PostgreSQL: what one hears of the other's changes,
and the periodic work they share so it runs once."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from tests.catalog.builders import shop_payload
from tests.experiments.test_lifecycle import experiment_body
from tests.replicas.conftest import Replica, Replicas, start_replicas

ANALYSIS_INTERVAL = 1.0


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """One pair for the module (tests use keys of their own), the shop's catalog imported."""
    env = {"ORGLOOP_ANALYSIS_INTERVAL_SECONDS": str(ANALYSIS_INTERVAL)}
    with start_replicas(tmp_path_factory.mktemp("replicas"), env) as replicas:
        with replicas.client(replicas.a) as api:
            response = api.post("/catalog/import", json={"entities": shop_payload()})
            assert response.status_code == 200, response.text
        yield replicas


def _sdk_key(replicas: Replicas, environment: str) -> str:
    with replicas.client(replicas.a) as api:
        created = api.post("/tokens", json={"role": "sdk", "environment": environment})
        assert created.status_code == 201, created.text
        secret: str = created.json()["secret"]
        return secret


@contextmanager
def _stream(replica: Replica, key: str) -> Iterator[queue.Queue[tuple[float, str]]]:
    """The SDK stream of ``replica``, read in a thread: (arrival time, ETag) per ruleset event."""
    events: queue.Queue[tuple[float, str]] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        try:
            with httpx.stream(
                "GET", f"{replica.url}/api/v1/sdk/stream", headers=headers, timeout=30
            ) as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        etag = json.loads(line.removeprefix("data:"))["etag"]
                        events.put((time.monotonic(), etag))
                    if stop.is_set():
                        return
        except httpx.TransportError:
            if not stop.is_set():
                raise
            # the test is over and its replicas stopping cut the stream it no longer reads

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield events
    finally:
        stop.set()


def test_replicas_started_together_create_one_admin_token_that_both_accept(
    replicas: Replicas,
) -> None:
    assert len(replicas.first_start_tokens) == 1
    for replica in replicas:
        with replicas.client(replica) as api:
            assert api.get("/tokens").status_code == 200


def test_a_flag_change_on_one_replica_wakes_an_sdk_stream_on_the_other_within_a_second(
    replicas: Replicas,
) -> None:
    key = _sdk_key(replicas, "production")
    flag = {
        "key": "one-page-checkout",
        "type": "boolean",
        "default_value": False,
        "owner": "checkout",
    }
    with replicas.client(replicas.a) as api:
        assert api.post("/flags", json=flag).status_code == 201
        with _stream(replicas.b, key) as events:
            _, first = events.get(timeout=30)
            changed_at = time.monotonic()
            toggled = api.post(
                "/flags/one-page-checkout/environments/production/toggle", params={"on": "true"}
            )
            assert toggled.status_code == 200, toggled.text
            arrived_at, etag = events.get(timeout=5)
        current = api.get("/sdk/ruleset", params={"environment": "production"}).headers["etag"]
    assert etag == current != first
    assert arrived_at - changed_at < 1.0


def test_a_token_revoked_on_one_replica_is_refused_by_the_other_at_once(replicas: Replicas) -> None:
    with replicas.client(replicas.a) as api:
        created = api.post("/tokens", json={"role": "viewer", "name": "leaving"}).json()
    viewer = replicas.client(replicas.b, token=created["secret"])
    assert viewer.get("/flags").status_code == 200  # B has checked it, and trusts it a while
    with replicas.client(replicas.a) as api:
        assert api.delete(f"/tokens/{created['token']['id']}").status_code == 200
    revoked_at = time.monotonic()
    statuses = []
    while time.monotonic() - revoked_at < 5:  # the cache B would otherwise trust it from
        statuses.append(viewer.get("/flags").status_code)
        if statuses[-1] == 401:
            break
    refused_after = time.monotonic() - revoked_at
    viewer.close()
    assert statuses[-1] == 401
    assert refused_after < 1.0, f"refused only after {refused_after:.2f} s: {statuses}"


def test_scheduled_analysis_runs_once_per_period_over_both_replicas(
    replicas: Replicas,
) -> None:
    with replicas.client(replicas.a) as api:
        body = experiment_body(key="one-run-per-period", flag_key="one-run-per-period")
        assert api.post("/experiments", json=body).status_code == 201
        assert api.post("/experiments/one-run-per-period/start").status_code == 200
    engine = sa.create_engine(replicas.database_url)
    try:
        start_runs, started = _runs(engine), time.monotonic()
        deadline = started + 30
        with replicas.client(replicas.b) as api:
            while time.monotonic() < deadline:
                shown = api.get("/experiments/one-run-per-period").json()
                if shown.get("last_analysis") and _runs(engine) >= start_runs + 3:
                    break
                time.sleep(0.2)  # polling what a user would look at; nothing to wait on
        elapsed = time.monotonic() - started
        runs = _runs(engine) - start_runs
        replicas_seen = _replicas_that_ran(engine)
    finally:
        engine.dispose()
    assert shown.get("last_analysis"), shown
    assert 1 <= runs <= elapsed / ANALYSIS_INTERVAL + 1, (runs, elapsed)
    assert replicas_seen


def _runs(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        value = conn.scalar(sa.text("SELECT runs FROM jobs WHERE name = 'experiments.analysis'"))
    return int(value or 0)


def _replicas_that_ran(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        query = "SELECT last_replica FROM jobs WHERE name = 'experiments.analysis'"
        value = conn.scalar(sa.text(query))
    return None if value is None else str(value)
