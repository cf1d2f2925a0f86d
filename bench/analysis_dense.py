"""An experiment for issue 17: the three metrics with CUPED by dense unit numbers, no hash join.

Not orgloop's code path: it measures what a change to the event store would buy.  Suppose each
unit got a dense number (``uid``, 0 to units - 1) when it was first stored, kept in both tables.
Then the analysis needs neither the hash join of events to first exposures nor the per-unit hash
aggregation that make the SQL contenders' cost (``bench/README.md``, "Third round"):

1. first exposures: ``t0[uid] = min(ts)`` and the lowest and highest variant per unit, by
   ``numpy.minimum.at`` / ``maximum.at`` into arrays indexed by ``uid``;
2. events, streamed from DuckDB as Arrow batches (``uid``, ``epoch_us(ts)``, an event code,
   ``value``): ``d = ts - t0[uid]`` is a gather, the window and pre-period are two comparisons,
   and each metric's per-unit value is one ``numpy.bincount`` of the matching ``uid`` s (weighted
   by ``value`` for a sum);
3. per variant: ``bincount`` of the clean units' variant codes, weighted by y, y², x, x², x·y.

A second form needs no change to the store (``dense-at-query``): DuckDB numbers the first
exposures as it computes them (a temporary table's ``rowid``), joins the events to them with the
windows in the join condition as the best queries do, and returns per joined event one integer,
``rowid * 6 + slot`` (slot: the metric and whether the event is in the window or the
pre-period), and the value; the per-unit ``GROUP BY`` becomes two ``numpy.bincount`` calls.

    .venv/bin/python -m bench.analysis_dense --units 1000000 --events 10000000 --repeat 3
    .venv/bin/python -m bench.analysis_dense              # 10M units, 100M events

It uses the analysis benchmark's data set (generated if missing) and writes a copy with the
dense numbers beside it (``...-dense.duckdb``; not timed: it stands for work done at ingest).
Contenders run in this process, in rounds, with CPU seconds of the whole process (DuckDB's
threads included): the best one-metric query on the original tables, the same query joining on
``uid`` (what a DuckDB expert would write given the column), the best query for the three
metrics, and the dense analysis, whose sums must equal the three-metric query's (the run exits 1
otherwise).  Peak memory is not measured here.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from bench import harness
from bench.analysis import WORK, agree, dataset
from bench.analysis_pandas import SPECS, STAT_NAMES
from bench.analysis_sql import (
    EXPERIMENT,
    LOOKBACK_US,
    WINDOW_US,
    handwritten_sql,
    handwritten_sql_three_metrics,
    sums_of_rows,
)

RESULTS = Path(__file__).resolve().parent / "results" / "analysis-dense.json"

_PREPARE = (
    "CREATE TABLE units AS SELECT unit, (row_number() OVER () - 1)::INTEGER AS uid"
    " FROM (SELECT DISTINCT unit FROM s.exposures UNION SELECT DISTINCT unit FROM s.events)",
    'CREATE TABLE exposures AS SELECT u.uid, x.unit, x.experiment, x.variant, x."timestamp"'
    " FROM s.exposures x JOIN units u USING (unit)",
    'CREATE TABLE events AS SELECT u.uid, e.unit, e.event, e.value, e."timestamp"'
    " FROM s.events e JOIN units u USING (unit)",
)


def prepare(source: Path) -> Path:
    """A copy of ``source``'s tables with each unit's dense number (once; reused after)."""
    path = source.with_name(source.stem + "-dense.duckdb")
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"ATTACH '{source}' AS s (READ_ONLY)")
    for statement in _PREPARE:
        con.execute(statement)
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    return path


def uid_sql() -> str:
    """The best one-metric query joining and grouping on ``uid`` instead of the unit string."""
    sql = handwritten_sql("visits")
    for old, new in (
        ("SELECT unit,", "SELECT uid,"), ("GROUP BY unit", "GROUP BY uid"),
        ("e.unit = f.unit", "e.uid = f.uid"), ("GROUP BY f.unit", "GROUP BY f.uid"),
        ("count(e.unit)", "count(e.uid)"),
    ):  # fmt: skip
        assert old in sql, old
        sql = sql.replace(old, new)
    return sql


def analyse_dense(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """``{"units": {variant: n}, "metrics": {key: {variant: {stat: value}}}}`` as the SQL
    contenders give them, computed by position (see the module's docstring)."""
    n = int(con.execute("SELECT count(*) FROM units").fetchall()[0][0])
    exposures = con.sql(
        f'SELECT uid, epoch_us("timestamp") AS t, variant FROM exposures'
        f" WHERE experiment = '{EXPERIMENT}'"
    ).to_arrow_table()
    coded = pc.dictionary_encode(exposures["variant"]).combine_chunks()
    names = [str(v) for v in coded.dictionary.to_pylist()]
    variant = coded.indices.to_numpy().astype(np.int16)
    uid = exposures["uid"].to_numpy()
    t0 = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(t0, uid, exposures["t"].to_numpy())
    low, high = np.full(n, np.iinfo(np.int16).max, np.int16), np.full(n, -1, np.int16)
    np.minimum.at(low, uid, variant)
    np.maximum.at(high, uid, variant)
    return _per_variant(_per_unit(con, t0, n), low, high, names)


def _per_variant(
    per_unit: dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]],
    low: npt.NDArray[Any],
    high: npt.NDArray[Any],
    names: list[str],
) -> dict[str, Any]:
    """Per variant, the count of clean units (one variant only) and each metric's sums."""
    clean = (high >= 0) & (low == high)
    codes = low[clean]
    counts = np.bincount(codes, minlength=len(names))
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for spec in SPECS:
        y, x = per_unit[spec.key][0][clean], per_unit[spec.key][1][clean]
        if spec.aggregation == "any":
            y, x = (y > 0).astype(np.float64), (x > 0).astype(np.float64)
        sums = [
            np.bincount(codes, weights=w, minlength=len(names)) for w in (y, y * y, x, x * x, x * y)
        ]
        metrics[spec.key] = {
            name: dict(zip(STAT_NAMES, (float(s[i]) for s in sums), strict=True))
            for i, name in enumerate(names)
        }
    return {"units": {name: int(counts[i]) for i, name in enumerate(names)}, "metrics": metrics}


Floats = npt.NDArray[np.float64]


def analyse_numbered_at_query(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The same sums from the original tables: first exposures numbered by DuckDB, the joined
    events returned as ``rowid * slots + slot`` and aggregated by ``numpy.bincount``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE first_exposures AS"
        ' SELECT unit, epoch_us(min("timestamp")) AS t0, min(variant) AS low, max(variant) AS high'
        f" FROM exposures WHERE experiment = '{EXPERIMENT}' GROUP BY unit"
    )
    units = con.sql("SELECT rowid, low, high FROM first_exposures ORDER BY rowid").to_arrow_table()
    n = units.num_rows
    coded = pc.dictionary_encode(units["low"]).combine_chunks()
    names = [str(v) for v in coded.dictionary.to_pylist()]
    low = coded.indices.to_numpy()
    high = pc.index_in(units["high"], value_set=coded.dictionary).to_numpy(zero_copy_only=False)
    slots = 2 * len(SPECS)  # per metric: in the window, in the pre-period
    kinds = " ".join(f"WHEN '{s.event}' THEN {2 * i}" for i, s in enumerate(SPECS))
    summed = [s.event for s in SPECS if s.aggregation == "sum"]
    value = (
        f"CASE WHEN e.event IN ({', '.join(map(repr, summed))}) THEN coalesce(e.value, 0) ELSE 0 END"
        if summed
        else "0.0"
    )
    joined = con.sql(
        f'SELECT f.rowid * {slots} + (CASE e.event {kinds} END) + (epoch_us(e."timestamp") < f.t0)::INT AS at,'
        f" {value} AS v"
        " FROM events e JOIN first_exposures f ON e.unit = f.unit"
        f" WHERE e.event IN ({', '.join(repr(s.event) for s in SPECS)})"
        f' AND epoch_us(e."timestamp") >= f.t0 - {LOOKBACK_US}'
        f' AND epoch_us(e."timestamp") < f.t0 + {WINDOW_US}'
    ).to_arrow_table()
    at = np.concatenate([c.to_numpy() for c in joined.column(0).chunks] or [np.zeros(0, np.int64)])
    v = np.concatenate(
        [c.to_numpy(zero_copy_only=False) for c in joined.column(1).chunks] or [np.zeros(0)]
    )
    counts = np.bincount(at, minlength=slots * n).reshape(n, slots)
    paid = v != 0
    sums = np.bincount(at[paid], weights=v[paid], minlength=slots * n).reshape(n, slots)
    per_unit: dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]] = {}
    for i, spec in enumerate(SPECS):
        table = sums if spec.aggregation == "sum" else counts
        per_unit[spec.key] = (table[:, 2 * i], table[:, 2 * i + 1])
    return _per_variant(per_unit, low, high, names)


def _per_unit(
    con: duckdb.DuckDBPyConnection, t0: npt.NDArray[np.int64], n: int
) -> dict[str, tuple[Floats, Floats]]:
    """Per metric, each unit's value in the window and in the pre-period (``uid``-indexed)."""
    kinds = " ".join(f"WHEN '{s.event}' THEN {i}" for i, s in enumerate(SPECS))
    names = ", ".join(f"'{s.event}'" for s in SPECS)
    reader = con.sql(
        f'SELECT uid, epoch_us("timestamp") AS ts, (CASE event {kinds} END)::UTINYINT AS k,'
        f" value FROM events WHERE event IN ({names})"
    ).to_arrow_reader(1 << 24)
    picked: dict[tuple[int, bool], list[npt.NDArray[np.int32]]] = {}
    weights: dict[tuple[int, bool], list[Floats]] = {}
    for batch in reader:
        uid, ts, kind = (batch.column(i).to_numpy() for i in range(3))
        since = ts - t0[uid]  # a unit never exposed has t0 = max: far before every window
        window = (since >= 0) & (since < WINDOW_US)
        before = (since < 0) & (since >= -LOOKBACK_US)
        value = np.nan_to_num(batch.column(3).to_numpy(zero_copy_only=False))
        for i, spec in enumerate(SPECS):
            mine = kind == i
            for post, inside in ((True, mine & window), (False, mine & before)):
                picked.setdefault((i, post), []).append(uid[inside])
                if spec.aggregation == "sum":
                    weights.setdefault((i, post), []).append(value[inside])
    values: dict[str, tuple[Floats, Floats]] = {}
    for i, spec in enumerate(SPECS):
        y, x = (
            np.bincount(
                np.concatenate(picked.get((i, post), [np.zeros(0, np.int32)])),
                weights=np.concatenate(weights[(i, post)]) if (i, post) in weights else None,
                minlength=n,
            ).astype(np.float64)
            for post in (True, False)
        )
        values[spec.key] = (y, x)
    return values


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_once(name: str, original: Path, dense: Path, config: dict[str, Any]) -> dict[str, Any]:
    db = dense if name in ("sql-visits-uid", "dense") else original
    con = duckdb.connect(str(db), read_only=True, config=config)
    cpu, started = _cpu(), time.perf_counter()
    if name == "dense":
        sums = analyse_dense(con)
    elif name == "dense-at-query":
        sums = analyse_numbered_at_query(con)
    elif name == "sql-three-metrics":
        sums = sums_of_rows(
            con.execute(handwritten_sql_three_metrics()).fetchall(), [s.key for s in SPECS]
        )
    else:
        query = uid_sql() if name == "sql-visits-uid" else handwritten_sql("visits")
        sums = sums_of_rows(con.execute(query).fetchall(), ["visits"])
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    con.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "sums": sums}


CONTENDERS = ("sql-visits", "sql-visits-uid", "sql-three-metrics", "dense", "dense-at-query")


def same_sums(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The benchmark's ``agree``, to 1e-9: the same data, summed in another order."""
    return agree(a, b, rel=1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.analysis_dense", description=__doc__)
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best CPU counts")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_before = harness.load_average()
    original = dataset(args.units, args.events, args.seed, work=args.work)
    dense = prepare(original)
    config = {"threads": args.threads, "memory_limit": args.memory_limit}
    tries: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    for _ in range(args.repeat):
        for name in CONTENDERS:
            tries[name].append(run_once(name, original, dense, config))
    reference = tries["sql-three-metrics"][0]["sums"]
    best = {name: min(runs, key=lambda r: float(r["cpu_seconds"])) for name, runs in tries.items()}
    report = {
        "units": args.units, "events": args.events, "repeat": args.repeat,
        "contenders": {
            name: {
                "cpu_seconds": round(r["cpu_seconds"], 3), "seconds": round(r["seconds"], 3),
                "all_cpu_seconds": [round(t["cpu_seconds"], 3) for t in tries[name]],
                "same_sums": all(same_sums(t["sums"], reference) for t in tries[name]),
            }
            for name, r in best.items()
        },
        "machine": harness.machine(load_before) | {"duckdb_threads": args.threads},
    }  # fmt: skip
    for name in CONTENDERS:
        for peer in ("sql-visits", "sql-visits-uid"):
            report[f"cpu_{name}_over_{peer}"] = round(
                best[name]["cpu_seconds"] / best[peer]["cpu_seconds"], 3
            )
            fastest = (min(t["seconds"] for t in tries[k]) for k in (name, peer))
            report[f"wall_{name}_over_{peer}"] = round(next(fastest) / next(fastest), 3)
    harness.write_result(args.out, report)
    rows = [
        (f"{name} (CPU s / wall s)", f"{r['cpu_seconds']:.2f} / {r['seconds']:.2f}"
         + ("" if r["same_sums"] else "  SUMS DIFFER"))
        for name, r in report["contenders"].items()
    ] + [
        ("dense / best one-metric query, CPU", f"{report['cpu_dense_over_sql-visits']:.3f}"),
        ("dense / the same on uid, CPU", f"{report['cpu_dense_over_sql-visits-uid']:.3f}"),
        ("dense-at-query / best one-metric query, CPU, wall",
         f"{report['cpu_dense-at-query_over_sql-visits']:.3f}, "
         f"{report['wall_dense-at-query_over_sql-visits']:.3f}"),
        ("load average before / after",
         f"{report['machine']['load_average_before']} / {report['machine']['load_average_after']}"),
    ]  # fmt: skip
    print(harness.two_columns(rows))
    return 0 if all(r["same_sums"] for r in report["contenders"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
