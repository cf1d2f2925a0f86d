"""The span store: ``<data_dir>/traces.duckdb``, the only storage code of the traces slice.

This module holds the schema, opening the file and retention; ``store_writer.py`` the writer
thread with its group commit, ``store_reads.py`` the read queries. ``SpanStore`` is all three
behind one object.

Tables: ``exports`` (each accepted OTLP export as its protobuf bytes, without rejected spans,
compressed with zstd: nothing is lost, ingest never re-encodes a span, and exports of
attribute-heavy spans shrink several times, which is most of what DuckDB's write costs),
``trace_exports`` (which exports hold spans of which trace: the trace view reads only those),
``edges`` (one row per paired call, with both sides' durations and the dimensions the graph
splits by) and ``services_seen`` (per ``service.name``: spans, and when spans were first and last
received).

One writer thread does every write, and acknowledges a batch only after its rows are committed.
Reads use their own cursors and see every committed row; ``flush()`` waits for what is queued.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

import duckdb

from orgloop.traces.columns import EdgeColumns
from orgloop.traces.intake import Flat
from orgloop.traces.store_reads import SpanReads
from orgloop.traces.store_writer import SpanWriter

FILE_NAME = "traces.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exports (
    id BIGINT NOT NULL,
    received_ns BIGINT NOT NULL,
    env VARCHAR NOT NULL,
    spans INTEGER NOT NULL,
    body_bytes INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS trace_exports (
    trace_id BLOB NOT NULL,
    export_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    start_ns BIGINT NOT NULL,
    trace_id VARCHAR NOT NULL,
    client VARCHAR NOT NULL,
    server VARCHAR NOT NULL,
    connection_type VARCHAR NOT NULL,
    failed BOOLEAN NOT NULL,
    weight DOUBLE NOT NULL,
    client_seconds DOUBLE NOT NULL,
    server_seconds DOUBLE NOT NULL,
    client_version VARCHAR NOT NULL,
    server_version VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    env VARCHAR NOT NULL
);
-- Added later, so files written before have them too (at the end: the writer inserts by
-- position): what recognises the export sent again, and its first reply.
ALTER TABLE exports ADD COLUMN IF NOT EXISTS resend_key BLOB;
ALTER TABLE exports ADD COLUMN IF NOT EXISTS rejected INTEGER;
ALTER TABLE exports ADD COLUMN IF NOT EXISTS message VARCHAR;
CREATE TABLE IF NOT EXISTS services_seen (
    service VARCHAR PRIMARY KEY,
    spans BIGINT NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL
);
"""


class SpanStore(SpanReads):
    """One DuckDB file: its reads (``SpanReads``), its writer thread (``SpanWriter``), retention."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open_lock = threading.Lock()
        self._closed = False
        self._con_: duckdb.DuckDBPyConnection | None = None
        self._writer = SpanWriter(ensure_open=lambda: self._con)

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        """The file is opened on first use, so a server that never sees a span never makes it."""
        if self._con_ is None:
            with self._open_lock:
                if self._con_ is None:
                    if self._closed:
                        raise RuntimeError("the span store is closed")
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    con = duckdb.connect(str(self.path))
                    con.execute(_SCHEMA)
                    self._writer.start(con.cursor())
                    self._con_ = con
        return self._con_

    def _connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SpanStore:
        return cls(data_dir / FILE_NAME)

    def submit(
        self, export: Flat | None, edges: list[EdgeColumns], *, received: datetime
    ) -> Future[None]:
        """Queue an export and edges for the writer; the future resolves once they are committed."""
        return self._writer.submit(export, edges, received=received)

    def pending_spans(self) -> int:
        return self._writer.pending_spans()

    def recent_exports(self, limit: int) -> list[tuple[bytes, int, int, str]]:
        """The newest ``limit`` stored exports' resend keys, spans, rejected spans and message,
        oldest first; nothing when the file was never written."""
        if self._con_ is None and not self.path.exists():
            return []
        rows = self._read(
            "SELECT resend_key, spans, coalesce(rejected, 0), coalesce(message, '') FROM "
            "(SELECT * FROM exports WHERE resend_key IS NOT NULL ORDER BY id DESC LIMIT ?) "
            "ORDER BY id",
            [limit],
        )
        return [(bytes(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]

    def retry_after(self) -> int:
        """Seconds a refused client should wait: about how long the backlog takes to store."""
        return self._writer.retry_after()

    def flush(self) -> None:
        """Return once everything queued before this call is committed."""
        if not self._closed and self._con_ is not None:
            self._writer.call(lambda _con: None)

    def purge(self, *, before: datetime) -> int:
        """Delete spans and edges that started before ``before``; returns the spans deleted."""
        cutoff = int(before.timestamp() * 1e9)

        def delete(con: duckdb.DuckDBPyConnection) -> int:
            old = "SELECT id FROM exports WHERE received_ns < ?"
            (row,) = con.execute(
                "SELECT coalesce(sum(spans), 0) FROM exports WHERE received_ns < ?", [cutoff]
            ).fetchall()
            con.execute(f"DELETE FROM trace_exports WHERE export_id IN ({old})", [cutoff])
            con.execute("DELETE FROM exports WHERE received_ns < ?", [cutoff])
            con.execute("DELETE FROM edges WHERE start_ns < ?", [cutoff])
            con.execute("DELETE FROM services_seen WHERE last_ns < ?", [cutoff])
            return int(row[0])

        return int(self._writer.call(delete))

    def close(self) -> None:
        with self._open_lock:
            if self._closed:
                return
            self._closed = True
        if self._con_ is None or not self._writer.started:
            return
        self._writer.stop()
        self._con_.execute("CHECKPOINT")
        self._con_.close()
