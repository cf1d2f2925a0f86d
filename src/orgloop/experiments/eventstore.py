"""The embedded store of exposures and events: one DuckDB file, ``<data_dir>/events.duckdb``.

Durability and group commit: ``append`` hands its batch to the store's single writer thread and
waits.  The writer takes every batch waiting at that moment and appends them all in one DuckDB
transaction; DuckDB writes and syncs its write-ahead log on commit, and only then does any
``append`` of that transaction return (so the API acknowledges nothing that is not on disk).  One
commit, one log sync, for however many concurrent requests arrived while the previous one ran.

Idempotency without a primary key: a DuckDB ``PRIMARY KEY`` on the id costs more than the rest of
the append and grows with the table, so new tables have none.  Instead the store keeps, per table,
a 64-bit hash of every stored id in memory (``_HashIndex``, 8 bytes per row, rebuilt from the
table on open).  A row whose hash is absent is certainly new; a row whose hash is present (a
resend, or a collision) is checked against the table's ids exactly.  Repeats inside one
transaction are found by hash and confirmed by id.  So an id is stored at most once, exactly, and
the common case costs a binary search.  Files created with the primary key keep it.

Checkpoints: the WAL is folded into the database file when it grows past
``checkpoint_threshold`` (256 MB by default) and on ``close``; after a crash DuckDB replays the
WAL on open.  Analysis reads through ``cursor()`` (its own connection, safe in another thread).
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from orgloop.experiments.ingest import Batch, ExposureColumns, TrackColumns

FILE_NAME = "events.duckdb"
TABLES = ("exposures", "events")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    id VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    experiment VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties JSON,
    environment VARCHAR,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR NOT NULL,
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
_TIMES_AS_TEXT = msgspec.json.Decoder(list[str])
# One transaction holds at most about this many rows; more waiting batches go in the next one.
_GROUP_ROWS = 50_000

Hashes = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class AppendResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Counts:
    exposures: int
    events: int


@dataclass(slots=True)
class _Pending:
    """One ``submit`` waiting for the commit that will contain it: its rows and their id hashes."""

    valid: int
    rows: dict[str, tuple[pa.Table, Hashes]]
    done: Future[AppendResult] = field(default_factory=Future)

    @property
    def size(self) -> int:
        return sum(len(hashes) for _, hashes in self.rows.values())


class EventStore:
    """Appends validated batches; the only module that writes the DuckDB file."""

    def __init__(self, path: Path | str, *, checkpoint_threshold: str = "256MB") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = duckdb.connect(str(self.path))
        self._con.execute(f"SET checkpoint_threshold = '{_size(checkpoint_threshold)}'")
        self._con.execute(_SCHEMA)
        # pyarrow imports pandas on its first conversion of Python objects (about a second):
        # pay that when the store opens rather than in the first request.
        pa.array(["warm-up"], pa.string())
        seen = {table: _HashIndex(_stored_hashes(self._con, table)) for table in TABLES}
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._closed = False
        writer = _Writer(con=self._con, lock=self._lock, seen=seen, waiting=self._queue)
        # The thread holds the writer, not the store: a store dropped without close() stops it.
        self._stop_writer = weakref.finalize(self, self._queue.put, None)
        self._writer = threading.Thread(target=writer.run, name="eventstore-writer", daemon=True)
        self._writer.start()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> EventStore:
        return cls(data_dir / FILE_NAME)

    def append(
        self, batch: Batch, *, received_at: datetime, environment: str | None = None
    ) -> AppendResult:
        """Store the batch's good events; returns once the transaction holding them committed."""
        return self.submit(batch, received_at=received_at, environment=environment).result()

    def submit(
        self, batch: Batch, *, received_at: datetime, environment: str | None = None
    ) -> Future[AppendResult]:
        """Queue the batch for the writer; the future resolves after the commit that holds it.

        For callers on an event loop: ``await asyncio.wrap_future(store.submit(...))`` waits
        without holding a thread.
        """
        ids = {"exposures": batch.exposures.id, "events": batch.tracks.id}
        rows = {
            "exposures": _exposure_table(batch.exposures, received_at, environment),
            "events": _track_table(batch.tracks, received_at, environment),
        }
        pending = _Pending(
            valid=batch.valid,
            rows={name: (t, _hashes(ids[name])) for name, t in rows.items() if t.num_rows},
        )
        if not pending.rows:
            pending.done.set_result(AppendResult(accepted=0, duplicates=batch.valid))
        elif self._closed:
            raise RuntimeError("the event store is closed")
        else:
            self._queue.put(pending)
        return pending.done

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
        if not self._closed:
            self._closed = True
            self._stop_writer()
            self._writer.join()
        with self._lock:
            self._con.execute("CHECKPOINT")
            self._con.close()


@dataclass(frozen=True, slots=True)
class _Writer:
    """The one thread that writes: takes what is waiting, appends it in one transaction."""

    con: duckdb.DuckDBPyConnection
    lock: threading.Lock
    seen: dict[str, _HashIndex]
    waiting: queue.SimpleQueue[_Pending | None]

    def run(self) -> None:
        while (first := self.waiting.get()) is not None:
            group, stop = _drain(self.waiting, first)
            # A request cancelled while it waited (its client went away) is dropped unanswered;
            # the others can no longer be cancelled, so their results are always delivered.
            group = [pending for pending in group if pending.done.set_running_or_notify_cancel()]
            if not group:
                if stop:
                    return
                continue
            try:
                inserted = self.commit(group)
            except BaseException as exc:  # every waiting request learns of the failure
                for pending in group:
                    pending.done.set_exception(exc)
            else:
                for pending, count in zip(group, inserted, strict=True):
                    pending.done.set_result(AppendResult(count, pending.valid - count))
            if stop:
                return

    def commit(self, group: list[_Pending]) -> list[int]:
        """Append the group in one transaction; the number of rows stored for each request."""
        inserted = np.zeros(len(group), dtype=np.int64)
        fresh: dict[str, _Fresh] = {}
        with self.lock:
            for table in TABLES:
                parts = [(i, p.rows[table]) for i, p in enumerate(group) if table in p.rows]
                if parts:
                    fresh[table] = _fresh_rows(self.con, table, parts, self.seen[table])
                    inserted += np.bincount(fresh[table].owner, minlength=len(group))
            _insert_committed(self.con, {table: rows.rows for table, rows in fresh.items()})
        # Only committed rows enter the index: a failed transaction leaves it as it was.
        for table, rows in fresh.items():
            self.seen[table].add(rows.hashes)
        return [int(n) for n in inserted]


def _drain(
    waiting: queue.SimpleQueue[_Pending | None], first: _Pending
) -> tuple[list[_Pending], bool]:
    """``first`` and whatever else is already waiting, up to ``_GROUP_ROWS`` rows."""
    group = [first]
    rows = first.size
    while rows < _GROUP_ROWS:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            return group, False
        if item is None:
            return group, True
        group.append(item)
        rows += item.size
    return group, False


@dataclass(frozen=True, slots=True)
class _Fresh:
    """The rows of one table that are new: the rows, their hashes, which request each came from."""

    rows: pa.Table
    hashes: Hashes
    owner: npt.NDArray[np.intp]


def _fresh_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parts: list[tuple[int, tuple[pa.Table, Hashes]]],
    seen: _HashIndex,
) -> _Fresh:
    """The rows of ``parts`` whose id is neither stored nor earlier in ``parts``."""
    rows = pa.concat_tables([t for _, (t, _) in parts])
    hashes = np.concatenate([h for _, (_, h) in parts])
    owner = np.repeat([i for i, _ in parts], [len(h) for _, (_, h) in parts])
    # One sort serves both checks: repeats sit side by side, and the index lookups of sorted
    # hashes walk each run in order (about 4x cheaper than random lookups in a large index).
    order = np.argsort(hashes, kind="stable")
    keep = _first_occurrences(hashes, order, rows.column("id"))
    stored = np.empty(len(hashes), dtype=np.bool_)
    stored[order] = seen.contains(hashes[order])
    known = np.flatnonzero(keep & stored)
    if known.size:
        keep[known[_stored(con, table, rows.column("id").take(known))]] = False
    if not keep.all():
        rows, hashes, owner = rows.filter(pa.array(keep)), hashes[keep], owner[keep]
    return _Fresh(rows=rows, hashes=hashes, owner=owner)


def _insert_committed(con: duckdb.DuckDBPyConnection, rows: dict[str, pa.Table]) -> None:
    """One DuckDB call for the whole transaction: each call gives up the GIL, and getting it back
    while request threads run can take a whole switch interval."""
    new_exposures = rows.get("exposures")  # noqa: F841 (DuckDB scans it by name)
    new_events = rows.get("events")  # noqa: F841 (DuckDB scans it by name)
    inserts = "".join(f" INSERT INTO {table} SELECT * FROM new_{table};" for table in rows)
    try:
        con.execute(f"BEGIN TRANSACTION;{inserts} COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _hashes(ids: list[str]) -> Hashes:
    """Python's own 64-bit string hash: C speed, computed by the request's thread, not the writer."""
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))


def _first_occurrences(
    hashes: Hashes, order: npt.NDArray[np.intp], ids: pa.ChunkedArray
) -> npt.NDArray[np.bool_]:
    """True for each row whose id does not occur earlier in the same rows (``order`` sorts
    ``hashes``, stably)."""
    keep = np.ones(len(hashes), dtype=np.bool_)
    ordered = hashes[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return keep
    # Rows sharing a hash: compare the ids themselves (a repeat, or a rare collision).
    involved = np.union1d(order[1:][same], order[:-1][same])
    earlier: set[str] = set()
    for row, value in zip(involved, ids.take(involved).to_pylist(), strict=True):
        if value in earlier:
            keep[row] = False
        earlier.add(value)
    return keep


def _stored(con: duckdb.DuckDBPyConnection, table: str, ids: pa.ChunkedArray) -> list[bool]:
    """Which of ``ids`` the table holds already (exact; a scan, only for hash matches)."""
    candidate_ids = pa.table({"id": ids})  # noqa: F841 (scanned by name)
    found = con.execute(
        f"SELECT id FROM {table} WHERE id IN (SELECT id FROM candidate_ids)"
    ).fetchall()
    present = {row[0] for row in found}
    return [value in present for value in ids.to_pylist()]


class _HashIndex:
    """A set of 64-bit hashes as a few sorted runs (merged like a binary counter): 8 bytes each."""

    def __init__(self, initial: Hashes) -> None:
        self._runs: list[Hashes] = [np.sort(initial)] if initial.size else []

    def __len__(self) -> int:
        return sum(run.size for run in self._runs)

    def contains(self, values: Hashes) -> npt.NDArray[np.bool_]:
        found = np.zeros(values.size, dtype=np.bool_)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, values), run.size - 1)
            found |= run[at] == values
        return found

    def add(self, values: Hashes) -> None:
        if not values.size:
            return
        self._runs.append(np.sort(values))
        # Keep each run at least twice the size of the next: O(log n) runs, O(log n) merges.
        while len(self._runs) > 1 and self._runs[-2].size <= 2 * self._runs[-1].size:
            last = self._runs.pop()
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], last]), kind="stable")


def _stored_hashes(con: duckdb.DuckDBPyConnection, table: str) -> Hashes:
    """Every stored id's hash, read once when the store opens (about 1 s per million ids)."""
    chunks = [np.zeros(0, dtype=np.int64)]
    reader: Iterator[pa.RecordBatch] = con.sql(f"SELECT id FROM {table}").to_arrow_reader(1 << 20)
    for chunk in reader:
        ids = chunk.column(0).to_pylist()
        chunks.append(np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)))
    return np.concatenate(chunks)


def _size(value: str) -> str:
    """Only digits and a unit reach the SET statement."""
    cleaned = value.strip().upper()
    if not cleaned.rstrip("KMGTIB").isdigit():
        raise ValueError(f"checkpoint_threshold must look like '256MB', got {value!r}")
    return cleaned


def _timestamps(values: list[datetime]) -> pa.Array:
    # pyarrow converts aware datetimes one Python call at a time (~10 us each); msgspec writes
    # them as RFC 3339 text in C and Arrow parses that text in C, offsets included.
    text = _TIMES_AS_TEXT.decode(msgspec.json.encode(values))
    return pc.cast(pa.array(text, pa.string()), _TS)


def _constant(value: datetime | str | None, n: int, type_: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n)


def _exposure_table(cols: ExposureColumns, received_at: datetime, env: str | None) -> pa.Table:
    n = len(cols.id)
    return pa.table(
        {
            "id": pa.array(cols.id, pa.string()),
            "unit": pa.array(cols.unit, pa.string()),
            "experiment": pa.array(cols.experiment, pa.string()),
            "variant": pa.array(cols.variant, pa.string()),
            "timestamp": _timestamps(cols.timestamp),
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
            "timestamp": _timestamps(cols.timestamp),
            "properties": pa.array(cols.properties, pa.string()),
            "environment": _constant(env, n, pa.string()),
            "received_at": _constant(received_at, n, _TS),
        }
    )
