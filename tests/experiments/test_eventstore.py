"""The DuckDB event store: appends are idempotent, durable across reopen, and analysable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import ibis

from orgloop.experiments.eventstore import EventStore
from orgloop.experiments.ingest import IngestLimits, parse_batch
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
