"""The DuckDB event store: appends are idempotent, durable across reopen, and analysable."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.experiments.ingest import rows as eventrows
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.store import EventStore
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.queries import analyse
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def append(store: EventStore, events: list[dict[str, object]]) -> tuple[int, int]:
    batch = parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=IngestLimits())
    result = store.append(batch, received_at=NOW)
    return result.accepted, result.duplicates


def test_appends_survive_closing_and_reopening(tmp_path: Path) -> None:
    store = EventStore.in_data_dir(tmp_path)
    events = [exposure(), track(), track()]
    assert append(store, events) == (3, 0)
    store.close()
    reopened = EventStore.in_data_dir(tmp_path)
    assert append(reopened, events) == (0, 3)
    assert (reopened.counts().exposures, reopened.counts().events) == (1, 2)
    reopened.close()


def test_the_store_file_lives_in_the_data_directory(tmp_path: Path) -> None:
    EventStore.in_data_dir(tmp_path).close()
    assert (tmp_path / "events.duckdb").exists()


def test_the_analysis_runs_on_the_stores_own_tables(event_store: EventStore) -> None:
    append(
        event_store,
        [
            exposure("a", variant="control"),
            exposure("b", variant="treatment"),
            track("a", value=10.0),
            track("b", value=4.0),
            track("b", value=6.0),
        ],
    )
    con = ibis.duckdb.from_connection(event_store.cursor())
    metrics = parse_metrics([{"key": "spend", "event": "purchase", "aggregation": "sum"}])
    result = analyse(con, experiment="checkout-redesign", metrics=metrics)
    assert [(s.variant, s.n, s.sum, s.sum_squares) for s in result.metrics] == [
        ("control", 1, 10.0, 100.0),
        ("treatment", 1, 10.0, 100.0),
    ]


def test_concurrent_appends_store_each_id_once_and_account_for_every_event(
    event_store: EventStore,
) -> None:
    # Eight writers, each resending half of its neighbour's ids: their batches share commits.
    def batch_of(writer: int) -> list[dict[str, object]]:
        ids = [f"w{writer}-{i}" for i in range(40)] + [
            f"w{(writer + 1) % 8}-{i}" for i in range(20)
        ]
        return [track(id=event_id) for event_id in ids]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda w: append(event_store, batch_of(w)), range(8)))
    assert all(accepted + duplicates == 60 for accepted, duplicates in results)
    assert sum(accepted for accepted, _ in results) == 8 * 40
    assert event_store.counts().events == 8 * 40
    distinct = event_store.cursor().execute("SELECT count(DISTINCT id) FROM events").fetchone()
    assert distinct == (8 * 40,)


def test_ids_that_share_a_hash_are_still_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every id hashes alike: the store must fall back to comparing the ids themselves.
    monkeypatch.setattr(eventrows, "hash", lambda _: 7, raising=False)
    store = EventStore.in_data_dir(tmp_path)
    first, second = [track(id="a"), track(id="b")], [track(id="b"), track(id="c"), track(id="c")]
    assert append(store, first) == (2, 0)
    assert append(store, second) == (1, 2)
    store.close()
    reopened = EventStore.in_data_dir(tmp_path)
    assert append(reopened, [track(id="a"), track(id="d")]) == (1, 1)
    assert reopened.counts().events == 4
    reopened.close()


def test_a_store_file_with_the_old_primary_key_keeps_working(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "events.duckdb"))
    con.execute(
        "CREATE TABLE events (id VARCHAR PRIMARY KEY, unit VARCHAR NOT NULL, event VARCHAR NOT "
        'NULL, value DOUBLE, "timestamp" TIMESTAMPTZ NOT NULL, properties JSON, environment '
        "VARCHAR, received_at TIMESTAMPTZ NOT NULL)"
    )
    con.close()
    store = EventStore.in_data_dir(tmp_path)
    events = [track(), track()]
    assert append(store, events) == (2, 0)
    assert append(store, events) == (0, 2)
    store.close()


def test_an_acknowledged_append_is_visible_to_readers(event_store: EventStore) -> None:
    batch = parse_batch(json.dumps({"events": [track()]}).encode(), now=NOW, limits=IngestLimits())
    future = event_store.submit(batch, received_at=NOW, environment="staging")
    assert future.result(timeout=30).accepted == 1
    row = event_store.cursor().execute("SELECT environment, epoch(received_at) FROM events")
    assert row.fetchone() == ("staging", NOW.timestamp())


def test_a_cancelled_wait_does_not_stop_the_writer(event_store: EventStore) -> None:
    batch = parse_batch(json.dumps({"events": [track()]}).encode(), now=NOW, limits=IngestLimits())
    futures = [event_store.submit(batch, received_at=NOW) for _ in range(20)]
    for future in futures[10:]:
        future.cancel()  # e.g. clients that disconnected while waiting
    fresh = parse_batch(json.dumps({"events": [track()]}).encode(), now=NOW, limits=IngestLimits())
    assert event_store.submit(fresh, received_at=NOW).result(timeout=30).accepted == 1
    assert event_store.counts().events == 2


@settings(max_examples=15, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 60), min_size=1, max_size=40), max_size=6))
def test_each_id_is_accepted_once_whatever_order_batches_repeat_it_in(
    batches: list[list[int]],
) -> None:
    # Ids repeat inside batches and across them, in any order: the index is searched in hash
    # order and its answers must land back on the right rows.
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore.in_data_dir(Path(tmp))
        seen: set[int] = set()
        for numbers in batches:
            fresh = len(set(numbers) - seen)
            seen |= set(numbers)
            events = [track(id=f"id-{n}") for n in numbers]
            assert append(store, events) == (fresh, len(numbers) - fresh)
        assert store.counts().events == len(seen)
        store.close()
