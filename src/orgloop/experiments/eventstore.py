"""The embedded store of exposures and events: one DuckDB file, ``<data_dir>/events.duckdb``.

Durability: every ``append`` is one DuckDB transaction; DuckDB writes and syncs its write-ahead
log on commit, so a batch is on disk before ``append`` returns (and before the API acknowledges
it).  Checkpoint policy: the WAL is folded into the database file when it grows past
``checkpoint_threshold`` (256 MB by default, DuckDB's 16 MB default rewrites the id index too
often under steady ingest) and on ``close``; after a crash DuckDB replays the WAL on open.

DuckDB allows one writing process, so the store holds one connection behind a lock; analysis
reads through ``cursor()`` (a second connection to the same database, safe in another thread).
Idempotency: ``id`` is the primary key of each table and rows go in with ``INSERT OR IGNORE``, so
a resent event is acknowledged as a duplicate and not stored twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orgloop.experiments.ingest import Batch, ExposureColumns, TrackColumns

FILE_NAME = "events.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    id VARCHAR PRIMARY KEY,
    unit VARCHAR NOT NULL,
    experiment VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties JSON,
    environment VARCHAR,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR PRIMARY KEY,
    unit VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    value DOUBLE,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties JSON,
    environment VARCHAR,
    received_at TIMESTAMPTZ NOT NULL
);
"""

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class AppendResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Counts:
    exposures: int
    events: int


class EventStore:
    """Appends validated batches; the only module that writes the DuckDB file."""

    def __init__(self, path: Path | str, *, checkpoint_threshold: str = "256MB") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = duckdb.connect(str(self.path))
        self._con.execute(f"SET checkpoint_threshold = '{_size(checkpoint_threshold)}'")
        self._con.execute(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> EventStore:
        return cls(data_dir / FILE_NAME)

    def append(
        self, batch: Batch, *, received_at: datetime, environment: str | None = None
    ) -> AppendResult:
        """Store the batch's good events in one committed transaction."""
        exposures = _exposure_table(batch.exposures, received_at, environment)
        tracks = _track_table(batch.tracks, received_at, environment)
        inserted = 0
        with self._lock:
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                if exposures.num_rows:
                    inserted += _insert(con, "exposures", exposures)
                if tracks.num_rows:
                    inserted += _insert(con, "events", tracks)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return AppendResult(accepted=inserted, duplicates=batch.valid - inserted)

    def counts(self) -> Counts:
        with self._lock:
            row = self._con.execute(
                "SELECT (SELECT count(*) FROM exposures), (SELECT count(*) FROM events)"
            ).fetchone()
        assert row is not None
        return Counts(exposures=int(row[0]), events=int(row[1]))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for reading (e.g. ``ibis.duckdb.from_connection``)."""
        with self._lock:
            return self._con.cursor()

    def checkpoint(self) -> None:
        with self._lock:
            self._con.execute("CHECKPOINT")

    def close(self) -> None:
        with self._lock:
            self._con.execute("CHECKPOINT")
            self._con.close()


def _size(value: str) -> str:
    """Only digits and a unit reach the SET statement."""
    cleaned = value.strip().upper()
    if not cleaned.rstrip("KMGTIB").isdigit():
        raise ValueError(f"checkpoint_threshold must look like '256MB', got {value!r}")
    return cleaned


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> int:
    # DuckDB scans the registered Arrow table in place: no per-row Python work.
    con.register("incoming_batch", rows)
    try:
        result = con.execute(
            f"INSERT OR IGNORE INTO {table} SELECT * FROM incoming_batch"
        ).fetchone()
    finally:
        con.unregister("incoming_batch")
    return int(result[0]) if result else 0


def _constant(value: Any, n: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value] * n, type=type_) if value is not None else pa.nulls(n, type=type_)


def _exposure_table(cols: ExposureColumns, received_at: datetime, env: str | None) -> pa.Table:
    n = len(cols.id)
    return pa.table(
        {
            "id": pa.array(cols.id, pa.string()),
            "unit": pa.array(cols.unit, pa.string()),
            "experiment": pa.array(cols.experiment, pa.string()),
            "variant": pa.array(cols.variant, pa.string()),
            "timestamp": pa.array(cols.timestamp, _TS),
            "properties": pa.array(cols.properties, pa.string()),
            "environment": _constant(env, n, pa.string()),
            "received_at": _constant(received_at, n, _TS),
        }
    )


def _track_table(cols: TrackColumns, received_at: datetime, env: str | None) -> pa.Table:
    n = len(cols.id)
    return pa.table(
        {
            "id": pa.array(cols.id, pa.string()),
            "unit": pa.array(cols.unit, pa.string()),
            "event": pa.array(cols.event, pa.string()),
            "value": pa.array(cols.value, pa.float64()),
            "timestamp": pa.array(cols.timestamp, _TS),
            "properties": pa.array(cols.properties, pa.string()),
            "environment": _constant(env, n, pa.string()),
            "received_at": _constant(received_at, n, _TS),
        }
    )
