"""The ingest log: what a crash leaves behind is loaded on the next open, exactly once, and a
segment DuckDB's JSON reader refuses is still loaded (by the Python decoder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orgloop.experiments.ingest import loader as eventload
from orgloop.experiments.ingest import log as eventlog
from orgloop.experiments.ingest import store as eventstore
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.store import EventStore
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = IngestLimits()


def _line(events: list[dict[str, object]], *, environment: str | None = "prod") -> dict[str, bytes]:
    """The lines the writer logs for one batch, per table."""
    batch = parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=LIMITS)
    prefix = eventlog.line_prefix(NOW, environment)
    encode = eventstore._ENCODE
    lines = {"exposures": batch.exposure_rows, "events": batch.track_rows}
    return {table: prefix + encode(rows) + b"}\n" for table, rows in lines.items() if rows}


def _crashed_log(data_dir: Path, segments: list[list[dict[str, bytes]]]) -> Path:
    """A log directory as a killed server leaves it: segments written, none loaded."""
    directory = data_dir / "events-log"
    for seq, batches in enumerate(segments, start=1):
        writer = eventlog.LogWriter(directory, seq)
        for lines in batches:
            writer.write({table: [line] for table, line in lines.items()})
        writer.close()
    return directory


def test_segments_left_by_a_crash_are_loaded_on_open_and_then_removed(tmp_path: Path) -> None:
    bare = {k: v for k, v in track("a", value=2.5).items() if k != "properties"}
    first = _line([exposure("a"), bare])
    second = _line([track("b", value=1.0, properties={"plan": "pro"})], environment=None)
    directory = _crashed_log(tmp_path, [[first], [second]])
    store = EventStore.in_data_dir(tmp_path)
    assert (store.counts().exposures, store.counts().events) == (1, 2)
    rows = store.cursor().execute(
        "SELECT unit, value, properties->>'plan', environment FROM events ORDER BY unit"
    )
    assert rows.fetchall() == [("a", 2.5, None, "prod"), ("b", 1.0, "pro", None)]
    assert eventlog.segments(directory) == []
    store.close()
    reopened = EventStore.in_data_dir(tmp_path)  # loaded once: nothing is loaded twice
    assert reopened.counts().events == 2
    reopened.close()


def test_a_torn_last_line_is_cut_and_the_lines_before_it_are_kept(tmp_path: Path) -> None:
    directory = _crashed_log(tmp_path, [[_line([track("a")]), _line([track("b")])]])
    path = eventlog.segment_path(directory, 1, "events")
    torn = _line([track("c")])["events"][:40]  # the crash hit in the middle of a write
    with path.open("ab") as f:
        f.write(torn)
    store = EventStore.in_data_dir(tmp_path)
    units = store.cursor().execute("SELECT unit FROM events ORDER BY unit").fetchall()
    assert units == [("a",), ("b",)]
    store.close()


def test_an_id_logged_before_a_crash_is_a_duplicate_after_it(tmp_path: Path) -> None:
    _crashed_log(tmp_path, [[_line([track("a", id="evt-1")])]])
    store = EventStore.in_data_dir(tmp_path)
    batch = parse_batch(
        json.dumps({"events": [track("a", id="evt-1"), track("b", id="evt-2")]}).encode(),
        now=NOW,
        limits=LIMITS,
    )
    result = store.append(batch, received_at=NOW)
    assert (result.accepted, result.duplicates) == (1, 1)
    assert store.counts().events == 2
    store.close()


def test_a_segment_duckdb_cannot_read_is_loaded_by_the_python_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever DuckDB's reader makes of a line, a batch that was acknowledged gets stored.
    monkeypatch.setattr(eventload, "_select_from_json", lambda table, path: "SELECT nonsense")
    store = EventStore.in_data_dir(tmp_path)
    events = [
        exposure("a", variant="treatment"),
        track("a", value=0.1, properties={"currency": "EUR"}),
        track("b", timestamp="2025-12-31T23:00:00+05:30"),
    ]
    batch = parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=LIMITS)
    assert store.append(batch, received_at=NOW, environment="staging").accepted == 3
    con = store.cursor()
    exposures = con.execute("SELECT unit, variant, environment FROM exposures").fetchall()
    assert exposures == [("a", "treatment", "staging")]
    tracks = con.execute(
        "SELECT unit, value, properties->>'currency', epoch(\"timestamp\") FROM events ORDER BY unit"
    ).fetchall()
    assert tracks == [
        ("a", 0.1, "EUR", datetime(2025, 12, 31, 13, tzinfo=UTC).timestamp()),
        ("b", 12.5, "EUR", datetime(2025, 12, 31, 17, 30, tzinfo=UTC).timestamp()),
    ]
    store.close()


def test_duckdb_reads_the_log_exactly_as_it_was_validated(tmp_path: Path) -> None:
    # Offsets, fractions of a second, unicode and escapes, large and tiny values, nested
    # properties: the JSON reader must store what msgspec decoded.
    events = [
        track("ü-ñ", id='x"y\\z', value=1e300, timestamp="2025-12-31T23:59:59.999999-11:30"),
        track("b\n", value=-5e-324, timestamp="2025-01-01T00:00:00.5Z"),
        track("c", value=123456789.123456789, properties={"a": [1, {"b": None}], "é": "\u0000"}),
        exposure("d", variant="v\t1", properties={}),
    ]
    store = EventStore.in_data_dir(tmp_path)
    batch = parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=LIMITS)
    assert store.append(batch, received_at=NOW).accepted == 4
    con = store.cursor()
    got = con.execute(
        'SELECT id, unit, value, epoch_us("timestamp"), properties FROM events ORDER BY unit'
    ).fetchall()
    expected = [
        (r.id, r.unit, r.value, round(r.timestamp.timestamp() * 1e6), _parsed(p))
        for r, p in zip(batch.track_rows, batch.tracks.properties, strict=True)
    ]
    assert sorted((*row[:4], _parsed(row[4])) for row in got) == sorted(expected)
    assert con.execute("SELECT variant, properties FROM exposures").fetchall() == [("v\t1", "{}")]
    store.close()


def _parsed(text: str | None) -> object:
    return None if text is None else json.loads(text)
