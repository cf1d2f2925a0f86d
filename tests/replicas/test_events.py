"""Tracked events with two real replicas: every acknowledged event is in every analysis, once.

Each replica keeps its own ingest log and DuckDB file and seals its loaded segments as Parquet in
the shared directory; an analysis reads its own tables and the other replica's sealed files. A
replica seals what it acknowledged within about a second of quiet, so an analysis on the other
replica is polled until it has caught up (never longer than ``CATCH_UP_SECONDS``).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.catalog.builders import shop_payload
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, _postgres_reason
from tests.replicas.conftest import _TOKEN, Replica, Replicas, _free_port

pytestmark = pytest.mark.postgres

CATCH_UP_SECONDS = 15.0
# Two servers importing at once on a busy 2-core machine have taken over two minutes to answer.
START_SECONDS = 600.0
UNITS = 120
WHEN = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
Totals = dict[str, tuple[int, float]]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Two ``orgloop serve`` replicas on a fresh PostgreSQL database and one shared directory,
    for the whole module (starting them is the slow part); each test has its own experiment and
    event ids.  Built from the ``Replica`` of ``conftest.py``, with a longer start timeout."""
    reason = _postgres_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here (ORGLOOP_REQUIRE_POSTGRES=1) but {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("replicas")
    name = f"orgloop_events_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ORGLOOP_")}
    env = base | {
        "ORGLOOP_DATABASE_URL": url,
        "ORGLOOP_EVENTS_SHARED_DIR": str(root / "shared"),
        "ORGLOOP_ANALYSIS_INTERVAL_SECONDS": "0",  # only the analyses the tests ask for
    }
    started = [
        Replica(label, _free_port(), root / label, env | {"ORGLOOP_DATA_DIR": str(root / label)})
        for label in ("a", "b")
    ]
    try:
        for replica in started:
            replica.start()
        for replica in started:
            replica.wait_ready(START_SECONDS)
        tokens = [t for r in started for t in _TOKEN.findall(r.output())]
        assert tokens, "neither replica printed an admin token on first start"
        pair = Replicas(url, tokens[0], started[0], started[1], tokens)
        with _client(pair, pair.a) as client:
            imported = client.post("/catalog/import", json={"entities": shop_payload()})
            assert imported.status_code == 200, imported.text
        yield pair
    finally:
        for replica in started:
            replica.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _client(pair: Replicas, replica: Replica) -> httpx.Client:
    """As ``pair.client``, with time for a first analysis to import its libraries under load."""
    client = pair.client(replica)
    client.timeout = httpx.Timeout(120.0)
    return client


def _stamp(minutes: int) -> str:
    return (WHEN + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _variant(unit: int) -> str:
    return "control" if unit % 2 == 0 else "treatment"


class Lab:
    """One experiment's units and events (events belong to units, not experiments: each lab has its
    own units). Unit ``i`` is exposed once and buys ``i % 3 + 1`` times for ``i`` each."""

    def __init__(self, experiment: str) -> None:
        self.experiment = experiment

    def exposure(self, unit: int) -> dict[str, Any]:
        return {
            "id": f"{self.experiment}-x-{unit}",
            "type": "exposure",
            "unit": f"{self.experiment}-u{unit}",
            "timestamp": _stamp(0),
            "experiment": self.experiment,
            "variant": _variant(unit),
        }

    def purchases(self, unit: int, kind: str = "p") -> list[dict[str, Any]]:
        return [
            {
                "id": f"{self.experiment}-{kind}-{unit}-{k}",
                "type": "track",
                "unit": f"{self.experiment}-u{unit}",
                "timestamp": _stamp(5 + k),
                "event": "purchase",
                "value": float(unit),
            }
            for k in range(unit % 3 + 1)
        ]

    def start(self, client: httpx.Client) -> None:
        body = {
            "key": self.experiment,
            "hypothesis": "A one-page checkout makes people spend more.",
            "owner": "checkout",
            "flag_key": self.experiment,
            "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
            "primary_metrics": [{"key": "spend", "event": "purchase", "aggregation": "sum"}],
            "cuped": False,
        }
        created = client.post("/experiments", json=body)
        assert created.status_code == 201, created.text
        assert client.post(f"/experiments/{self.experiment}/start").status_code == 200

    def observed(self, client: httpx.Client) -> Totals:
        """Per variant: units and total spend, from the analysis this replica computes."""
        response = client.get(f"/experiments/{self.experiment}/analysis")
        assert response.status_code == 200, response.text
        report = response.json()
        row = next(r for r in report["rows"] if r["metric"] == "spend")
        control = report["units"].get("control", 0)
        treatment = report["units"].get("treatment", 0)
        return {
            "control": (control, round((row["control_mean"] or 0.0) * control, 6)),
            "treatment": (treatment, round((row["mean"] or 0.0) * treatment, 6)),
        }


def _expected(units: range, purchases_per_unit: int = 1) -> Totals:
    totals: Totals = {"control": (0, 0.0), "treatment": (0, 0.0)}
    for unit in units:
        n, spend = totals[_variant(unit)]
        totals[_variant(unit)] = (n + 1, spend + purchases_per_unit * (unit % 3 + 1) * unit)
    return totals


def _post(client: httpx.Client, events: list[dict[str, Any]]) -> tuple[int, int]:
    response = client.post("/events", json={"events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["accepted"], body["duplicates"]


def _analysis_on(pair: Replicas, replica: Replica, lab: Lab, expected: Totals) -> Totals:
    """The analysis on ``replica`` once it shows ``expected`` (or the last one seen)."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    with _client(pair, replica) as client:
        while True:
            observed = lab.observed(client)
            if observed == expected or time.monotonic() > deadline:
                return observed
            time.sleep(0.2)  # the other replica seals on its own clock; nothing to await here


def test_events_posted_to_both_replicas_are_in_every_analysis_once(pair: Replicas) -> None:
    lab = Lab("spread-over-replicas")
    with _client(pair, pair.a) as a, _client(pair, pair.b) as b:
        lab.start(a)
        for unit in range(UNITS):
            # A unit's exposure reaches one replica and its purchases the other.
            first, second = (a, b) if unit % 2 else (b, a)
            _post(first, [lab.exposure(unit)])
            _post(second, lab.purchases(unit))
        # A client whose request timed out resends the batch to the other replica: unit 0's
        # exposure went to B and its purchase to A, so now each replica also holds an id the
        # other holds; each is counted once.
        resent = [lab.exposure(0), *lab.purchases(0)]
        assert _post(a, resent) == (1, 1)
        assert _post(b, resent) == (1, 1)
    expected = _expected(range(UNITS))
    assert _analysis_on(pair, pair.a, lab, expected) == expected
    assert _analysis_on(pair, pair.b, lab, expected) == expected


def test_kill_9_of_a_replica_loses_no_acknowledged_event(pair: Replicas) -> None:
    lab = Lab("survives-kill-9")
    with _client(pair, pair.a) as a, _client(pair, pair.b) as b:
        lab.start(a)
        for unit in range(UNITS):
            _post(b if unit % 2 else a, [lab.exposure(unit), *lab.purchases(unit)])
        late = [e for unit in range(UNITS) for e in lab.purchases(unit, kind="late")]
        assert _post(a, late) == (len(late), 0)  # acknowledged: synced to A's ingest log
    pair.a.kill()  # kill -9 within milliseconds, before A seals that batch (after ~1 s of quiet)
    pair.a.start()
    pair.a.wait_ready(START_SECONDS)
    expected = _expected(range(UNITS), purchases_per_unit=2)
    assert _analysis_on(pair, pair.b, lab, expected) == expected
    assert _analysis_on(pair, pair.a, lab, expected) == expected
    with _client(pair, pair.a) as a:
        assert _post(a, late) == (0, len(late))
