"""Per-unit values on the embedded store by unit number: array lookups instead of joins.

The event store numbers its units densely (``ingest.units``: ``uid`` 0, 1, 2, ... on every row).
With those numbers the per-unit table of ``queries`` needs neither the hash join of events to
first exposures nor the per-unit GROUP BY, which are most of what it costs in SQL:

1. the experiment's exposures (``uid``, time, variant): ``t0[uid]``, each unit's first exposure,
   is a ``numpy.minimum.at``; ``low[uid]``/``high[uid]`` are its lowest and highest variant code
   (a unit seen in several variants has ``low != high``);
2. the metrics' events, streamed from DuckDB as Arrow batches (``uid``, time, event code, value):
   the time since exposure is one gather (``ts - t0[uid]``), each window two comparisons, and
   each (measure, window) one ``numpy.bincount`` of the units whose events fall in it (weighted by
   the value for a sum);
3. the per-unit values go back to ``queries`` as an Arrow table, where caps, per-variant sums and
   quantiles are the same Ibis expressions as on every other backend.

Only steps 1 and 2 stand in for ``queries._per_unit``; the tests hold both to the same reference.
Both reads run in one transaction, so they see the same events.  Measured in bench/README.md
("Fourth round").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from orgloop.experiments.metrics import Measure, Window, micros

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

# A unit never exposed: its events are this far before every window (no int64 overflow).
_NEVER = np.iinfo(np.int64).max // 2
_BATCH_ROWS = 1 << 22
# Picked units are counted into the per-unit arrays once this many wait (bounded memory).
_FLUSH_ROWS = 1 << 24


def per_unit(
    con: Any,
    *,
    experiment: str,
    columns: Mapping[str, tuple[Measure, Window]],
    until: datetime | None,
    environment: str | None,
) -> ir.Table | None:
    """``queries._per_unit``'s table (variant, then one float column per entry of ``columns``),
    computed by unit number; None where ``con`` (an Ibis backend) does not read the event
    store's numbered tables: DuckDB, and ``exposures`` and ``events`` with ``uid`` on every row
    (a shared directory's union views have no ``uid``)."""
    if getattr(con, "name", None) != "duckdb":
        return None
    raw: duckdb.DuckDBPyConnection = con.con
    tables = {table: _columns(raw, table) for table in ("exposures", "events")}
    if not all(cols is not None and "uid" in cols for cols in tables.values()):
        return None
    raw.execute("BEGIN TRANSACTION")  # one snapshot for the check and both reads
    try:
        if _unnumbered(raw, tables):
            return None
        where = {t: _filters(cols or [], until, environment) for t, cols in tables.items()}
        exposed = _Exposed.read(raw, experiment, where["exposures"])
        values = _values(raw, exposed, columns, where["events"])
    finally:
        raw.execute("ROLLBACK")  # it only read
    return ibis.memtable(exposed.table(values))


def _unnumbered(raw: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> bool:
    """Whether a row lacks its number.  Every row is numbered as it is loaded; should one not
    be (the store numbers it when it next opens), the expression counts it meanwhile.  Row-group
    statistics answer this without a scan."""
    unnumbered = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE uid IS NULL)" for t in tables)
    return bool(raw.execute(f"SELECT {unnumbered}").fetchall()[0][0])


@dataclass(slots=True)
class _Filters:
    sql: str = ""
    params: dict[str, object] = field(default_factory=dict)


def _filters(columns: list[str], until: datetime | None, environment: str | None) -> _Filters:
    """``until`` and ``environment`` as ``queries`` and ``warehouse.sources`` apply them to a
    table of ``columns``."""
    out = _Filters()
    if until is not None:
        out.sql += ' AND "timestamp" < $until'
        out.params["until"] = until
    if environment is not None and "environment" in columns:
        out.sql += " AND (environment IS NULL OR environment = $environment)"
        out.params["environment"] = environment
    return out


@dataclass(frozen=True, slots=True)
class _Exposed:
    """Per unit number (up to the highest exposed one): first exposure and variant codes."""

    t0: Ints
    low: npt.NDArray[np.int32]
    high: npt.NDArray[np.int32]
    variants: list[str]

    @classmethod
    def read(cls, raw: duckdb.DuckDBPyConnection, experiment: str, where: _Filters) -> _Exposed:
        rows = raw.sql(
            'SELECT uid, epoch_us("timestamp") AS t, variant FROM exposures'
            f" WHERE experiment = $experiment{where.sql}",
            params={"experiment": experiment, **where.params},
        ).to_arrow_table()
        uid = _ints(rows.column("uid"))
        size = int(uid.max()) + 1 if uid.size else 0
        coded = pc.dictionary_encode(rows.column("variant")).combine_chunks()
        variants = [str(v) for v in coded.dictionary.to_pylist()]
        code = np.asarray(coded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        t0 = np.full(size, _NEVER, dtype=np.int64)
        np.minimum.at(t0, uid, _ints(rows.column("t")))
        low = np.full(size, np.iinfo(np.int32).max, dtype=np.int32)
        high = np.full(size, -1, dtype=np.int32)
        np.minimum.at(low, uid, code)
        np.maximum.at(high, uid, code)
        return cls(t0=t0, low=low, high=high, variants=variants)

    @property
    def size(self) -> int:
        return int(self.t0.size)

    def table(self, values: Mapping[str, Floats]) -> pa.Table:
        """One row per exposed unit: its variant (NULL if several) and its values.  Where every
        number up to the highest is exposed, the arrays are handed over without a copy."""
        exposed = self.high >= 0
        rows: npt.NDArray[np.intp] | slice = (
            slice(None) if exposed.all() else np.flatnonzero(exposed)
        )
        low, high = self.low[rows], self.high[rows]
        variant = pa.DictionaryArray.from_arrays(
            pa.array(low, mask=low != high), pa.array(self.variants, pa.string())
        )
        return pa.table({"variant": variant, **{n: pa.array(v[rows]) for n, v in values.items()}})


@dataclass(frozen=True, slots=True)
class _Picked:
    """One batch's rows for one column: their unit numbers, and the values to add (sums) or to
    compare (max); none for counts."""

    uid: Ints
    values: Floats | None


@dataclass(slots=True)
class _Column:
    """One (measure, window)'s per-unit value, accumulated batch by batch."""

    measure: Measure
    start_us: int
    end_us: int | None
    out: Floats
    picked: list[Ints] = field(default_factory=list)
    weights: list[Floats] = field(default_factory=list)

    def pick(self, uid: Ints, since: Ints, value: Floats, mine: npt.NDArray[np.bool_]) -> _Picked:
        """The rows of ``mine`` whose time since exposure is in the window (any thread)."""
        inside = mine & (since >= self.start_us)
        if self.end_us is not None:
            inside &= since < self.end_us
        if self.measure.aggregation == "max":
            inside &= ~np.isnan(value)
            return _Picked(uid[inside], value[inside])
        if self.measure.aggregation == "sum":
            return _Picked(uid[inside], np.nan_to_num(value[inside]))
        return _Picked(uid[inside], None)

    def add(self, picked: _Picked) -> int:
        """Keep a batch's picked rows (one thread at a time); returns how many now wait."""
        if self.measure.aggregation == "max":
            assert picked.values is not None
            np.maximum.at(self.out, picked.uid, picked.values)
            return 0
        self.picked.append(picked.uid)
        if picked.values is not None:
            self.weights.append(picked.values)
        return int(picked.uid.size)

    def flush(self) -> None:
        if not self.picked:
            return
        uid = np.concatenate(self.picked)
        weights = np.concatenate(self.weights) if self.weights else None
        self.out += np.bincount(uid, weights=weights, minlength=self.out.size)
        self.picked.clear()
        self.weights.clear()

    def value(self) -> Floats:
        """As ``queries._per_unit`` gives it: no events is 0, ``any`` is 0 or 1."""
        self.flush()
        if self.measure.aggregation == "max":
            return np.where(np.isneginf(self.out), 0.0, self.out)
        if self.measure.aggregation == "any":
            return (self.out > 0).astype(np.float64)
        return self.out


def _values(
    raw: duckdb.DuckDBPyConnection,
    exposed: _Exposed,
    columns: Mapping[str, tuple[Measure, Window]],
    where: _Filters,
) -> dict[str, Floats]:
    """Each column's per-unit values, from one scan of the events of the columns' names."""
    distinct: dict[tuple[Measure, Window], _Column] = {}
    for measure, window in columns.values():
        if (measure, window) not in distinct:
            start = micros(window.start_hours)
            end = None if window.end_hours is None else micros(window.end_hours)
            initial = -np.inf if measure.aggregation == "max" else 0.0
            distinct[(measure, window)] = _Column(
                measure, start, end, np.full(exposed.size, initial, dtype=np.float64)
            )
    names = sorted({measure.event for measure, _ in distinct})
    if names and exposed.size:
        by_event = {
            name: [c for (m, _), c in distinct.items() if m.event == name] for name in names
        }
        _scan(raw, exposed, names, by_event, where)
    return {name: distinct[spec].value() for name, spec in columns.items()}


def _scan(
    raw: duckdb.DuckDBPyConnection,
    exposed: _Exposed,
    names: list[str],
    by_event: dict[str, list[_Column]],
    where: _Filters,
) -> None:
    every = [c for cs in by_event.values() for c in cs]
    workers = max(1, int(raw.execute("SELECT current_setting('threads')").fetchall()[0][0]))
    kinds = " ".join(f"WHEN $e{i} THEN {i}" for i in range(len(names)))
    # Equalities joined by OR: DuckDB filters the strings about twice as fast as with IN (...).
    wanted = " OR ".join(f"event = $e{i}" for i in range(len(names)))
    params = {f"e{i}": name for i, name in enumerate(names)} | where.params
    reader = raw.sql(
        f'SELECT uid, epoch_us("timestamp") AS ts, (CASE event {kinds} END)::USMALLINT AS k,'
        f" value FROM events WHERE ({wanted}) AND uid < $size{where.sql}",
        params=params | {"size": exposed.size},
    ).to_arrow_reader(_BATCH_ROWS)
    # Batches are picked on worker threads (numpy releases the GIL), as many as DuckDB may use,
    # while this thread reads the next batches and adds what the workers picked, in order.
    waiting = 0

    def add_oldest() -> int:
        return sum(c.add(p) for c, p in zip(every, running.popleft().result(), strict=True))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="analysis") as pool:
        running: deque[Future[list[_Picked]]] = deque()
        for batch in reader:
            running.append(pool.submit(_pick, batch, exposed.t0, names, by_event))
            while running and (len(running) > 2 * workers or running[0].done()):
                waiting += add_oldest()
            if waiting >= _FLUSH_ROWS:
                for column in every:
                    column.flush()
                waiting = 0
        while running:
            add_oldest()  # each column's ``value`` counts what still waits


def _pick(
    batch: pa.RecordBatch, t0: Ints, names: list[str], by_event: dict[str, list[_Column]]
) -> list[_Picked]:
    """One batch's rows for every column, in ``by_event``'s order.  Masks over the whole batch
    and one selection per column: selecting rows costs several times a comparison."""
    uid = _ints(batch.column(0))
    since = _ints(batch.column(1)) - t0[uid]
    kind = np.asarray(batch.column(2).to_numpy(zero_copy_only=False))
    value = np.asarray(batch.column(3).to_numpy(zero_copy_only=False), dtype=np.float64)
    out = []
    for k, name in enumerate(names):
        mine = kind == k
        out += [column.pick(uid, since, value, mine) for column in by_event[name]]
    return out


def _columns(raw: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """The table's columns; None without such a table."""
    try:
        return [str(d[0]) for d in raw.sql(f"SELECT * FROM {table} LIMIT 0").description or ()]
    except duckdb.Error:
        return None


def _ints(column: pa.ChunkedArray | pa.Array) -> Ints:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)
