"""The span store's writer: one thread that does every write to ``traces.duckdb``, group-committed.

``SpanWriter`` takes all batches waiting, and those arriving within a few times its last commit's
duration (at most 100 ms), appends them as Arrow tables in one transaction, then resolves their
futures, so concurrent exports share a commit (each DuckDB statement costs milliseconds of CPU,
whatever its size) and a request is acknowledged only after its rows are committed. Other work
that must not race a commit (retention, ``flush``) runs on the same thread through ``call``.

The SQL here writes the tables ``store.py`` creates: ``exports`` (bodies compressed with zstd;
``store_reads.py`` decompresses them), ``trace_exports``, ``edges`` and ``services_seen``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from orgloop.traces.columns import EdgeColumns
from orgloop.traces.intake import Flat

_MAX_GROUP_SPANS = 100_000
#: The writer gathers exports for this many times the last commit's duration, at most:
_GATHER = 3.0
_MAX_GATHER_SECONDS = 0.1


@dataclass
class _Batch:
    export: Flat | None
    edges: list[EdgeColumns]
    received_ns: int
    future: Future[None]
    size: int


_Call = tuple[Callable[[duckdb.DuckDBPyConnection], Any], "Future[Any]"]
_Item = _Batch | _Call | None


class SpanWriter:
    """The writer thread's queue and loop; ``ensure_open`` opens the file (and starts the thread
    through ``start``) on first use."""

    def __init__(self, ensure_open: Callable[[], object]) -> None:
        self._ensure_open = ensure_open
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._pending = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next_id = 0  # the writer's next export id (0: read it from the table first)
        self._last_write = 0.0  # seconds the writer's last commit took
        self._busy = False  # whether exports arrived during it

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self, con: duckdb.DuckDBPyConnection) -> None:
        """Run the writer thread on ``con`` (a cursor of its own)."""
        self._thread = threading.Thread(
            target=self._run, args=(con,), name="trace-store", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Let the thread finish what is queued, close its cursor and end."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()

    def submit(
        self, export: Flat | None, edges: list[EdgeColumns], *, received: datetime
    ) -> Future[None]:
        """Queue an export and edges for the writer; the future resolves once they are committed."""
        future: Future[None] = Future()
        size = export.accepted if export else 0
        if not size and not edges:
            future.set_result(None)
            return future
        with self._count_lock:
            self._pending += size
        self._ensure_open()
        received_ns = int(received.timestamp() * 1e9)
        self._queue.put(_Batch(export if size else None, edges, received_ns, future, size))
        return future

    def pending_spans(self) -> int:
        return self._pending

    def retry_after(self) -> int:
        """Seconds a refused client should wait: about how long the backlog takes to store."""
        return max(1, min(30, self._pending // 50_000 + 1))

    def call(self, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """Run ``fn`` on the writer thread, between commits; return its result."""
        future: Future[Any] = Future()
        self._ensure_open()
        self._queue.put((fn, future))
        return future.result()

    def _run(self, con: duckdb.DuckDBPyConnection) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                con.close()
                return
            if isinstance(item, tuple):
                fn, future = item
                _resolve(future, lambda fn=fn: fn(con))  # type: ignore[misc]
                continue
            group = [item]
            size = item.size
            # When exports came in during the last commit (concurrent senders), gather for a
            # few times as long as that commit took, so that more exports share the next one: a
            # commit costs milliseconds of CPU per statement, whatever its size. A lone sender
            # waiting for each reply is never made to wait.
            gather = min(_MAX_GATHER_SECONDS, _GATHER * self._last_write) if self._busy else 0.0
            deadline = time.monotonic() + gather
            while size < _MAX_GROUP_SPANS:
                wait = deadline - time.monotonic()
                try:
                    more = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(more, _Batch):
                    self._queue.put(more)  # a call or the stop mark: handled next
                    break
                group.append(more)
                size += more.size
            started = time.monotonic()
            self._write(con, group)
            self._last_write = time.monotonic() - started

    def _write(self, con: duckdb.DuckDBPyConnection, group: list[_Batch]) -> None:
        size = sum(b.size for b in group)
        try:
            con.begin()
            exports = [(b.export, b.received_ns) for b in group if b.export is not None]
            if exports:
                self._insert_exports(con, exports)
            edges = _edge_table([e for b in group for e in b.edges])
            if edges is not None:
                con.from_arrow(edges).insert_into("edges")
            con.commit()
            # Before any reply goes out: a sender waiting for its reply has not sent again yet.
            self._busy = not self._queue.empty()
        except Exception as exc:
            con.rollback()
            self._next_id = 0  # read again: the ids handed out were not committed
            for batch in group:
                batch.future.set_exception(exc)
        else:
            for batch in group:
                batch.future.set_result(None)
        finally:
            with self._count_lock:
                self._pending -= size

    def _insert_exports(
        self, con: duckdb.DuckDBPyConnection, exports: list[tuple[Flat, int]]
    ) -> None:
        if not self._next_id:
            (row,) = con.execute("SELECT coalesce(max(id), 0) FROM exports").fetchall()
            self._next_id = int(row[0]) + 1
        first = self._next_id
        ids = list(range(first, first + len(exports)))
        self._next_id = first + len(exports)
        con.from_arrow(
            pa.table(
                {
                    "id": pa.array(ids, pa.int64()),
                    "received_ns": pa.array([r for _, r in exports], pa.int64()),
                    "env": [f.env for f, _ in exports],
                    "spans": pa.array([f.accepted for f, _ in exports], pa.int32()),
                    "body_bytes": pa.array([len(f.body) for f, _ in exports], pa.int32()),
                    "body": pa.array([_compress(f.body) for f, _ in exports], pa.binary()),
                    "resend_key": pa.array([f.resend_key or None for f, _ in exports], pa.binary()),
                    "rejected": pa.array([f.rejected for f, _ in exports], pa.int32()),
                    "message": [f.message() for f, _ in exports],
                }
            )
        ).insert_into("exports")
        traces = [(t, i) for (f, _), i in zip(exports, ids, strict=True) for t in f.trace_ids]
        con.from_arrow(
            pa.table(
                {
                    "trace_id": pa.array([t for t, _ in traces], pa.binary()),
                    "export_id": pa.array([i for _, i in traces], pa.int64()),
                }
            )
        ).insert_into("trace_exports")
        _upsert_services(con, [(f.services, r) for f, r in exports])


def _edge_table(parts: list[EdgeColumns]) -> pa.Table | None:
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    edges = parts[0] if len(parts) == 1 else EdgeColumns.concat(parts, parts[0].dimensions)
    return pa.table(
        {
            "start_ns": pa.array(edges.start_ns, pa.int64()),
            "trace_id": [t.hex() for t in edges.trace_id],
            "client": edges.client,
            "server": edges.server,
            "connection_type": edges.connection_type,
            "failed": pa.array(edges.failed, pa.bool_()),
            "weight": pa.array(edges.weight, pa.float64()),
            "client_seconds": pa.array(edges.client_seconds, pa.float64()),
            "server_seconds": pa.array(edges.server_seconds, pa.float64()),
            "client_version": edges.client_version,
            "server_version": edges.server_version,
            "operation": edges.operation,
            "variant": edges.variant,
            "env": edges.env,
        }
    )


def _upsert_services(
    con: duckdb.DuckDBPyConnection, parts: list[tuple[dict[str, int], int]]
) -> None:
    merged: dict[str, tuple[int, int, int]] = {}
    for services, received in parts:
        for name, spans in services.items():
            old = merged.get(name)
            merged[name] = (
                (spans, received, received)
                if old is None
                else (old[0] + spans, min(old[1], received), max(old[2], received))
            )
    if not merged:
        return
    # One statement for the group (an executemany runs one per service, each costly).
    rows = ", ".join(["(?, ?, ?, ?)"] * len(merged))
    con.execute(
        f"""
        INSERT INTO services_seen VALUES {rows}
        ON CONFLICT (service) DO UPDATE SET
            spans = services_seen.spans + excluded.spans,
            first_ns = least(services_seen.first_ns, excluded.first_ns),
            last_ns = greatest(services_seen.last_ns, excluded.last_ns)
        """,
        [value for name, figures in merged.items() for value in (name, *figures)],
    )


def _compress(body: bytes) -> bytes:
    """zstd, as ``store_reads`` decompresses it."""
    return bytes(pa.compress(body, codec="zstd", asbytes=True))


def _resolve(future: Future[Any], fn: Callable[[], Any]) -> None:
    try:
        future.set_result(fn())
    except Exception as exc:
        future.set_exception(exc)
