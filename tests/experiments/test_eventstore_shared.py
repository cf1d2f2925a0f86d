"""Several event stores on one shared directory: each sees every store's events, once per id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import ibis
import msgspec
import pytest

from orgloop.experiments.ingest import loader as eventload
from orgloop.experiments.ingest import log as ingest_log
from orgloop.experiments.ingest.loader import Loader
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.shared import SharedDir
from orgloop.experiments.ingest.store import EventStore
from orgloop.experiments.ingest.units import UnitIndex
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.queries import analyse
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPEND = parse_metrics([{"key": "spend", "event": "purchase", "aggregation": "sum"}])


def append(store: EventStore, events: list[dict[str, object]]) -> tuple[int, int]:
    batch = parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=IngestLimits())
    result = store.append(batch, received_at=NOW)
    return result.accepted, result.duplicates


def spend(store: EventStore) -> list[tuple[str, int, float]]:
    """(variant, units, total spend) of the analysis run on ``store``."""
    con = ibis.duckdb.from_connection(store.cursor())
    try:
        result = analyse(con, experiment="checkout-redesign", metrics=SPEND)
    finally:
        con.disconnect()
    return [(s.variant, s.n, s.sum) for s in result.metrics]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[EventStore, EventStore]]:
    shared = tmp_path / "shared"
    a = EventStore.in_data_dir(tmp_path / "a", shared_dir=shared)
    b = EventStore.in_data_dir(tmp_path / "b", shared_dir=shared)
    yield a, b
    a.close()
    b.close()


def test_an_analysis_on_either_store_counts_every_stores_events_once(
    pair: tuple[EventStore, EventStore],
) -> None:
    a, b = pair
    resent = track("u2", value=5.0)  # a client that timed out on A sent this batch to B again
    assert append(a, [exposure("u1", variant="control"), track("u1", value=10.0), resent]) == (
        3,
        0,
    )
    assert append(b, [exposure("u2", variant="treatment"), track("u2", value=1.0), resent]) == (
        3,
        0,
    )
    b.flush()  # B's segment is sealed once it is loaded; A's analysis then reads it
    expected = [("control", 1, 10.0), ("treatment", 1, 6.0)]
    assert spend(a) == expected
    assert spend(b) == expected


def test_each_store_writes_parquet_under_its_own_id(
    pair: tuple[EventStore, EventStore], tmp_path: Path
) -> None:
    a, b = pair
    append(a, [track("u1")])
    append(b, [track("u2")])
    a.flush()
    b.flush()
    assert a.shared is not None
    assert b.shared is not None
    assert a.shared.store_id != b.shared.store_id
    names = sorted(p.name for p in (tmp_path / "shared" / "events").iterdir())
    assert [n.split("-")[0] for n in names] == sorted([a.shared.store_id, b.shared.store_id])
    assert all(n.endswith(".parquet") for n in names)  # no temporary file is left behind


def test_a_store_keeps_its_id_and_rows_across_reopening(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    a = EventStore.in_data_dir(tmp_path / "a", shared_dir=shared)
    append(a, [exposure("u1", variant="control"), track("u1", value=3.0)])
    assert a.shared is not None
    first_id = a.shared.store_id
    a.close()
    a = EventStore.in_data_dir(tmp_path / "a", shared_dir=shared)
    b = EventStore.in_data_dir(tmp_path / "b", shared_dir=shared)
    try:
        assert a.shared is not None
        assert a.shared.store_id == first_id
        assert spend(a) == spend(b) == [("control", 1, 3.0)]
    finally:
        a.close()
        b.close()


def test_a_store_that_joins_a_shared_directory_shares_what_it_held(tmp_path: Path) -> None:
    alone = EventStore.in_data_dir(tmp_path / "a")
    append(alone, [exposure("u1", variant="control"), track("u1", value=7.0)])
    alone.close()
    shared = tmp_path / "shared"
    a = EventStore.in_data_dir(tmp_path / "a", shared_dir=shared)
    b = EventStore.in_data_dir(tmp_path / "b", shared_dir=shared)
    try:
        assert spend(b) == [("control", 1, 7.0)]
        assert spend(a) == [("control", 1, 7.0)]
    finally:
        a.close()
        b.close()


def test_without_a_shared_directory_the_store_reads_only_its_own_tables(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    other = EventStore.in_data_dir(tmp_path / "b", shared_dir=shared)
    append(other, [exposure("u2", variant="treatment"), track("u2", value=1.0)])
    other.close()
    alone = EventStore.in_data_dir(tmp_path / "a")
    try:
        append(alone, [exposure("u1", variant="control"), track("u1", value=2.0)])
        assert alone.shared is None
        assert spend(alone) == [("control", 1, 2.0)]
    finally:
        alone.close()


def test_a_segment_sealed_but_not_recorded_is_sealed_again_under_the_same_name(
    tmp_path: Path,
) -> None:
    # Recording the load after the seal fails (here: its table is gone), as a crash between the two
    # would leave it: the segment stays in the log, and the next load seals the same file again.
    EventStore(tmp_path / "events.duckdb").close()
    con = duckdb.connect(str(tmp_path / "events.duckdb"))
    shared = SharedDir.open(tmp_path / "shared", con)
    log_dir = tmp_path / "events-log"
    writer = ingest_log.LogWriter(log_dir, 1)
    batch = parse_batch(
        json.dumps({"events": [track("u1", id="t-1"), track("u1", id="t-2")]}).encode(),
        now=NOW,
        limits=IngestLimits(),
    )
    prefix = ingest_log.line_prefix(NOW, None)
    writer.write({"events": [prefix + msgspec.json.encode(batch.track_rows) + b"}\n"]})
    writer.rotate()
    writer.close()
    con.execute("ALTER TABLE ingest_log_loaded RENAME TO loaded_away")
    loader = Loader(
        con=con.cursor(), directory=log_dir, units=UnitIndex.of_table(con), shared=shared
    )
    with pytest.raises(duckdb.Error):
        loader.load(1)
    assert len(loader.units) == 0  # the unit numbered in the rolled-back transaction is not kept
    sealed = shared.path("events", 1)
    assert sealed.exists()
    assert ingest_log.segments(log_dir) == [1]
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]
    con.execute("ALTER TABLE loaded_away RENAME TO ingest_log_loaded")
    assert loader.recover() == 1
    assert ingest_log.segments(log_dir) == []
    ids = con.execute(f"SELECT id FROM read_parquet('{sealed}') ORDER BY id").fetchall()
    assert sorted(p.name for p in sealed.parent.iterdir()) == [sealed.name]
    assert ids == [("t-1",), ("t-2",)]
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(2,)]
    assert con.execute("SELECT DISTINCT uid FROM events").fetchall() == [(0,)]
    assert con.execute("SELECT unit, uid FROM units").fetchall() == [("u1", 0)]
    con.close()


def test_a_segment_duckdb_cannot_read_is_sealed_from_the_python_decoder(
    pair: tuple[EventStore, EventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eventload, "_select_from_json", lambda table, path: "SELECT nonsense")
    a, b = pair
    append(a, [exposure("u1", variant="control"), track("u1", value=4.0, properties={"k": 1})])
    a.flush()
    assert spend(b) == [("control", 1, 4.0)]
    con = b.cursor()
    rows = con.execute("SELECT properties->>'k', environment FROM events").fetchall()
    assert rows == [("1", None)]
