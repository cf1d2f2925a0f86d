"""Helpers of the event store: the id-hash index, repeats within a group, and the Python loader.

``load_lines_in_python`` is the store's fallback for a log segment DuckDB's JSON reader refuses:
it decodes each line with the same msgspec structs that validated it and builds the table's rows
as Arrow, so a batch that was acknowledged is loaded whatever DuckDB thinks of its text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import duckdb
import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from orgloop.experiments.ingest.parsing import Exposure, ExposureColumns, Track, TrackColumns

Hashes = npt.NDArray[np.int64]

_TS = pa.timestamp("us", tz="UTC")
_TIMES_AS_TEXT = msgspec.json.Decoder(list[str])


class HashIndex:
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


def first_occurrences(
    hashes: Hashes, order: npt.NDArray[np.intp], ids: Callable[[], list[str]]
) -> npt.NDArray[np.bool_]:
    """True for each row whose id does not occur earlier in the same rows (``order`` sorts
    ``hashes``, stably).  ``ids`` gives the rows' ids; it is called only when hashes repeat."""
    keep = np.ones(len(hashes), dtype=np.bool_)
    ordered = hashes[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return keep
    # Rows sharing a hash: compare the ids themselves (a repeat, or a rare collision).
    involved = np.union1d(order[1:][same], order[:-1][same])
    earlier: set[str] = set()
    values = ids()
    for row in involved:
        value = values[row]
        if value in earlier:
            keep[row] = False
        earlier.add(value)
    return keep


def id_hashes(ids: list[str]) -> Hashes:
    """Python's own 64-bit string hash: C speed (the index only has to be consistent within
    one process: it is rebuilt on every open)."""
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))


def stored_hashes(con: duckdb.DuckDBPyConnection, table: str) -> Hashes:
    """Every stored id's hash, read once when the store opens (about 0.16 s per million
    36-character ids, sort included)."""
    chunks = [np.zeros(0, dtype=np.int64)]
    reader: Iterator[pa.RecordBatch] = con.sql(f"SELECT id FROM {table}").to_arrow_reader(1 << 20)
    for chunk in reader:
        chunks.append(id_hashes(chunk.column(0).to_pylist()))
    return np.concatenate(chunks)


class _ExposureLine(msgspec.Struct, frozen=True):
    r: datetime
    env: str | None
    rows: list[Exposure]


class _TrackLine(msgspec.Struct, frozen=True):
    r: datetime
    env: str | None
    rows: list[Track]


_EXPOSURE_LINE = msgspec.json.Decoder(_ExposureLine)
_TRACK_LINE = msgspec.json.Decoder(_TrackLine)


def load_lines_in_python(table: str, text: bytes) -> pa.Table:
    """A segment file's rows for ``table`` (``exposures`` or ``events``) as one Arrow table."""
    parts: list[pa.Table] = []
    for line in filter(None, text.splitlines()):
        if table == "exposures":
            x = _EXPOSURE_LINE.decode(line)
            parts.append(exposure_table(ExposureColumns.of(x.rows), x.r, x.env))
        else:
            t = _TRACK_LINE.decode(line)
            parts.append(track_table(TrackColumns.of(t.rows), t.r, t.env))
    return pa.concat_tables(parts)


def _timestamps(values: list[datetime]) -> pa.Array:
    # pyarrow converts aware datetimes one Python call at a time (~10 us each); msgspec writes
    # them as RFC 3339 text in C and Arrow parses that text in C, offsets included.
    text = _TIMES_AS_TEXT.decode(msgspec.json.encode(values))
    return pc.cast(pa.array(text, pa.string()), _TS)


def _constant(value: datetime | str | None, n: int, type_: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n)


def exposure_table(cols: ExposureColumns, received_at: datetime, env: str | None) -> pa.Table:
    named = {
        "experiment": pa.array(cols.experiment, pa.string()),
        "variant": pa.array(cols.variant, pa.string()),
    }
    return _table(cols, named, received_at, env)


def track_table(cols: TrackColumns, received_at: datetime, env: str | None) -> pa.Table:
    named = {
        "event": pa.array(cols.event, pa.string()),
        "value": pa.array(cols.value, pa.float64()),
    }
    return _table(cols, named, received_at, env)


def _table(
    cols: ExposureColumns | TrackColumns,
    named: dict[str, pa.Array],
    received_at: datetime,
    env: str | None,
) -> pa.Table:
    """The table's columns in its order: id, unit, the kind's own columns, then the rest."""
    n = len(cols.id)
    return pa.table(
        {
            "id": pa.array(cols.id, pa.string()),
            "unit": pa.array(cols.unit, pa.string()),
            **named,
            "timestamp": _timestamps(cols.timestamp),
            "properties": pa.array(cols.properties, pa.string()),
            "environment": _constant(env, n, pa.string()),
            "received_at": _constant(received_at, n, _TS),
        }
    )
