"""The embedded store of tracked events (exposures and track events): ``<data_dir>/events.duckdb`` and its ingest log.

Two threads do the writing, so a request never waits for DuckDB:

- the **writer** takes every batch waiting at that moment, drops ids already stored, appends one
  line per batch to the ingest log (``log``) and syncs it once for all of them; only then does
  any ``append`` of that group return.  So the API acknowledges nothing that is not on disk, and
  concurrent requests share one sync (group commit);
- the **loader** moves closed log segments into the DuckDB tables with DuckDB's own JSON reader (in
  C++, off the GIL), numbering the units it has not seen (``units``: every row carries its unit's
  dense number, ``uid``, which the analysis uses as an array position) and recording each
  segment's number in the same transaction, then deletes it.  A
  segment closes after about a second or 32 MB.  Should DuckDB's reader refuse a segment, the
  loader decodes it line by line in Python instead: a logged batch is never dropped.

Readers see every acknowledged event: ``cursor()`` and ``counts()`` first wait until the log is
loaded (``flush``).  After a crash, ``EventStore`` loads whatever segments the log still holds
before it opens for writing.

With a shared directory (several replicas, ``shared.SharedDir``), every loaded segment is also
sealed there as Parquet, and ``cursor()`` reads the union of this store's tables and the other
stores' sealed files, one row per event id; ``counts()`` stays this store's own.

Idempotency without a primary key: a DuckDB ``PRIMARY KEY`` on the id costs more than the rest of
the append and grows with the table, so there is none.  Instead the store keeps, per table, a
64-bit hash of every stored or logged id in memory (``HashIndex``, 8 bytes per row, rebuilt from
the tables on open).  A row whose hash is absent is certainly new; a row whose hash is present (a
resend, or a collision) is checked exactly against the table's ids after the log is loaded.
Repeats inside one group are found by hash and confirmed by id.  So an id is stored at most once,
exactly, and the common case costs a binary search.
"""

from __future__ import annotations

import queue
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from orgloop.experiments.ingest import log as ingest_log
from orgloop.experiments.ingest import units
from orgloop.experiments.ingest.loader import Barrier, Loader
from orgloop.experiments.ingest.parsing import Batch, Exposure, Track
from orgloop.experiments.ingest.rows import (
    Hashes,
    HashIndex,
    first_occurrences,
    id_hashes,
    stored_hashes,
)
from orgloop.experiments.ingest.shared import SharedDir

FILE_NAME = "events.duckdb"
TABLES = ingest_log.TABLES

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    id VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    experiment VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties JSON,
    environment VARCHAR,
    received_at TIMESTAMPTZ NOT NULL,
    uid INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    value DOUBLE,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties JSON,
    environment VARCHAR,
    received_at TIMESTAMPTZ NOT NULL,
    uid INTEGER
);
CREATE TABLE IF NOT EXISTS ingest_log_loaded (segment BIGINT NOT NULL);
"""

# A segment closes after this many bytes or seconds, whichever comes first.
SEGMENT_BYTES = 32 << 20
SEGMENT_SECONDS = 1.0
# One group holds at most about this many rows; more waiting batches go in the next one.
_GROUP_ROWS = 50_000
_ENCODE = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class AppendResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Counts:
    exposures: int
    events: int


@dataclass(frozen=True, slots=True)
class _Part:
    """One request's rows for one table: the rows, their id hashes and their encoded line."""

    rows: list[Exposure] | list[Track]
    hashes: Hashes
    prefix: bytes
    line: bytes


@dataclass(slots=True)
class _Pending:
    """One ``submit`` waiting for the sync that will contain it."""

    valid: int
    parts: dict[str, _Part]
    done: Future[AppendResult] = field(default_factory=Future)

    @property
    def size(self) -> int:
        return sum(len(part.hashes) for part in self.parts.values())


_Item = _Pending | Barrier | None


class EventStore:
    """Appends validated batches; the only module that writes the DuckDB file and its log."""

    def __init__(
        self,
        path: Path | str,
        *,
        checkpoint_threshold: str = "256MB",
        shared_dir: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = duckdb.connect(str(self.path))
        self._con.execute(f"SET checkpoint_threshold = '{_size(checkpoint_threshold)}'")
        self._con.execute(_SCHEMA)
        units.number_units(self._con)  # a store made before unit numbers: once
        self._catalog = str(self._con.execute("SELECT current_database()").fetchall()[0][0])
        self.shared = None if shared_dir is None else SharedDir.open(shared_dir, self._con)
        log_dir = self.path.with_name(self.path.stem + "-log")
        loader = Loader(
            con=self._con.cursor(),
            directory=log_dir,
            units=units.UnitIndex.of_table(self._con),
            shared=self.shared,
        )
        last = loader.recover()
        seen = {table: HashIndex(stored_hashes(self._con, table)) for table in TABLES}
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._closed = False
        writer = _Writer(
            con=self._con.cursor(),
            seen=seen,
            waiting=self._queue,
            log=ingest_log.LogWriter(log_dir, last + 1),
            loads=loader.waiting,
        )
        self._threads = [
            threading.Thread(target=writer.run, name="eventstore-writer", daemon=True),
            threading.Thread(target=loader.run, name="eventstore-loader", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        # The threads hold the writer and loader, not the store: a store dropped without close()
        # stops them, and so does the interpreter's exit (never in the middle of a load).
        self._stop = weakref.finalize(self, _stop_threads, self._queue, self._threads)

    @classmethod
    def in_data_dir(cls, data_dir: Path, *, shared_dir: Path | None = None) -> EventStore:
        return cls(data_dir / FILE_NAME, shared_dir=shared_dir)

    def append(
        self, batch: Batch, *, received_at: datetime, environment: str | None = None
    ) -> AppendResult:
        """Store the batch's good events; returns once they are durable in the log."""
        return self.submit(batch, received_at=received_at, environment=environment).result()

    def submit(
        self, batch: Batch, *, received_at: datetime, environment: str | None = None
    ) -> Future[AppendResult]:
        """Queue the batch for the writer; the future resolves after the sync that holds it.

        For callers on an event loop: ``await asyncio.wrap_future(store.submit(...))`` waits
        without holding a thread.  Encoding happens here, on the caller's thread.
        """
        prefix = ingest_log.line_prefix(received_at, environment)
        rows: dict[str, list[Exposure] | list[Track]] = {
            "exposures": batch.exposure_rows,
            "events": batch.track_rows,
        }
        pending = _Pending(
            valid=batch.valid,
            parts={
                table: _Part(
                    r, id_hashes([row.id for row in r]), prefix, prefix + _ENCODE(r) + b"}\n"
                )
                for table, r in rows.items()
                if r
            },
        )
        if not pending.parts:
            pending.done.set_result(AppendResult(accepted=0, duplicates=batch.valid))
        elif self._closed:
            raise RuntimeError("the event store is closed")
        else:
            self._queue.put(pending)
        return pending.done

    def flush(self) -> None:
        """Wait until every acknowledged event is in the DuckDB tables."""
        if self._closed:
            return
        barrier = Barrier()
        self._queue.put(barrier)
        barrier.done.result()

    def counts(self) -> Counts:
        self.flush()
        with self._lock:
            row = self._con.execute(
                "SELECT (SELECT count(*) FROM exposures), (SELECT count(*) FROM events)"
            ).fetchone()
        assert row is not None
        return Counts(exposures=int(row[0]), events=int(row[1]))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for reading (e.g. ``ibis.duckdb.from_connection``); it sees
        every event acknowledged here before the call and, with a shared directory, every event
        the other stores have sealed, once per id."""
        self.flush()
        with self._lock:
            cur = self._con.cursor()
        if self.shared is not None:
            self.shared.attach_views(cur, self._catalog)
        return cur

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._stop()
        with self._lock:
            self._con.execute("CHECKPOINT")
            self._con.close()


def _stop_threads(waiting: queue.SimpleQueue[_Item], threads: list[threading.Thread]) -> None:
    waiting.put(None)
    for thread in threads:
        thread.join()


@dataclass(slots=True)
class _Writer:
    """The one thread that logs: takes what is waiting, drops known ids, appends, syncs once."""

    con: duckdb.DuckDBPyConnection
    seen: dict[str, HashIndex]
    waiting: queue.SimpleQueue[_Item]
    log: ingest_log.LogWriter
    loads: queue.SimpleQueue[int | Barrier | None]

    def run(self) -> None:
        try:
            while True:
                try:
                    first = self.waiting.get(timeout=SEGMENT_SECONDS)
                except queue.Empty:  # quiet: close the segment so its events get loaded
                    self.rotate()
                    continue
                group, last = _drain(self.waiting, first)
                if group:
                    self.commit_group(group)
                    if self.log.size >= SEGMENT_BYTES or self.log.age >= SEGMENT_SECONDS:
                        self.rotate()
                if isinstance(last, Barrier):
                    self.rotate()
                    self.loads.put(last)
                elif last is None:
                    return
        finally:
            self.rotate()
            self.log.close()
            self.loads.put(None)

    def rotate(self) -> None:
        seq = self.log.rotate()
        if seq is not None:
            self.loads.put(seq)

    def commit_group(self, group: list[_Pending]) -> None:
        # A request cancelled while it waited (its client went away) is dropped unanswered;
        # the others can no longer be cancelled, so their results are always delivered.
        group = [pending for pending in group if pending.done.set_running_or_notify_cancel()]
        if not group:
            return
        try:
            inserted, lines, fresh = self.fresh_lines(group)
            self.log.write(lines)
        except BaseException as exc:  # every waiting request learns of the failure
            for pending in group:
                pending.done.set_exception(exc)
            return
        # Only logged rows enter the index: a failed write leaves it as it was.
        for table, hashes in fresh.items():
            self.seen[table].add(hashes)
        for pending, count in zip(group, inserted, strict=True):
            pending.done.set_result(AppendResult(count, pending.valid - count))

    def fresh_lines(
        self, group: list[_Pending]
    ) -> tuple[list[int], dict[str, list[bytes]], dict[str, Hashes]]:
        """Per request, how many rows are new; the lines to log; the new rows' hashes."""
        inserted = [0] * len(group)
        lines: dict[str, list[bytes]] = {}
        fresh: dict[str, Hashes] = {}
        for table in TABLES:
            parts = [(i, p.parts[table]) for i, p in enumerate(group) if table in p.parts]
            if not parts:
                continue
            keep = self.new_rows(table, [part for _, part in parts])
            lines[table] = []
            at = 0
            for i, part in parts:
                mask = keep[at : at + len(part.hashes)]
                at += len(part.hashes)
                kept = int(mask.sum())
                inserted[i] += kept
                if kept == len(part.hashes):
                    lines[table].append(part.line)
                elif kept:
                    rows = [row for row, k in zip(part.rows, mask, strict=True) if k]
                    lines[table].append(part.prefix + _ENCODE(rows) + b"}\n")
            fresh[table] = np.concatenate([p.hashes for _, p in parts])[keep]
        return inserted, lines, fresh

    def new_rows(self, table: str, parts: list[_Part]) -> npt.NDArray[np.bool_]:
        """True for each row whose id is neither stored nor earlier in ``parts``."""
        hashes = np.concatenate([part.hashes for part in parts])

        def ids() -> list[str]:  # only a repeat or a known hash needs the ids themselves
            return [row.id for part in parts for row in part.rows]

        # One sort serves both checks: repeats sit side by side, and the index lookups of sorted
        # hashes walk each run in order (about 4x cheaper than random lookups in a large index).
        order = np.argsort(hashes, kind="stable")
        keep = first_occurrences(hashes, order, ids)
        stored = np.empty(len(hashes), dtype=np.bool_)
        stored[order] = self.seen[table].contains(hashes[order])
        known = np.flatnonzero(keep & stored)
        if known.size:  # a resend, or a collision: load the log, then ask the table exactly
            self.rotate()
            barrier = Barrier()
            self.loads.put(barrier)
            barrier.done.result()
            every = ids()
            keep[known[_stored(self.con, table, [every[k] for k in known])]] = False
        return keep


def _drain(
    waiting: queue.SimpleQueue[_Item], first: _Item
) -> tuple[list[_Pending], Barrier | bool | None]:
    """``first`` and the requests already waiting after it, up to ``_GROUP_ROWS`` rows; and the
    barrier or stop (None) that ended the drain, or False if it ended otherwise."""
    if not isinstance(first, _Pending):
        return [], first
    group = [first]
    rows = first.size
    while rows < _GROUP_ROWS:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            return group, False
        if not isinstance(item, _Pending):
            return group, item
        group.append(item)
        rows += item.size
    return group, False


def _stored(con: duckdb.DuckDBPyConnection, table: str, ids: list[str]) -> list[bool]:
    """Which of ``ids`` the table holds already (exact; a scan, only for hash matches)."""
    candidate_ids = pa.table({"id": pa.array(ids, pa.string())})  # noqa: F841 (scanned by name)
    found = con.execute(
        f"SELECT id FROM {table} WHERE id IN (SELECT id FROM candidate_ids)"
    ).fetchall()
    present = {row[0] for row in found}
    return [value in present for value in ids]


def _size(value: str) -> str:
    """Only digits and a unit reach the SET statement."""
    cleaned = value.strip().upper()
    if not cleaned.rstrip("KMGTIB").isdigit():
        raise ValueError(f"checkpoint_threshold must look like '256MB', got {value!r}")
    return cleaned
