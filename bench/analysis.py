"""Experiment analysis at scale: orgloop (Ibis on DuckDB) against hand-written SQL and pandas.

A synthetic experiment (10M units, 100M events by default) is generated once with DuckDB SQL into
``bench/.work/`` in the event store's table layout and reused (keyed by layout, size and seed),
with the unit numbers (``uid``, the ``units`` table) the store gives units as it loads them.  Each
contender runs alone in its own process, started through ``bench.harness`` so that its peak RSS
is its own, and every contender runs the same number of times (``--repeat``, best wall time):

- ``orgloop``: ``queries.analyse`` for three metrics with CUPED (all in one analysis), as the
  experiments service runs it on the embedded store (``unit_numbers``; the run fails if the
  analysis did not go by unit number);
- ``sql-<metric>``: the best one-metric DuckDB query on the unit strings (``bench/analysis_sql.py``,
  form ``best``);
- ``sql-visits-uid``: the same query joined and grouped on the unit numbers (form ``uid``); the
  target is judged against the faster of the two;
- ``sql-visits-interval``: the same metric written with ``INTERVAL`` arithmetic and
  ``count(DISTINCT)``, the slower form kept for comparison;
- ``sql-visits-same-rows``: the best form reading the three metrics' event names (the rows
  orgloop's one scan joins and groups) while computing the one metric: what the rows alone cost;
- ``sql-three-metrics``: the best form for the same three metrics in one query: the best
  hand-written query for orgloop's own work;
- ``pandas``: the same three metrics with pandas (``bench/analysis_pandas.py``).

Every contender's sums must equal orgloop's: the run exits 1 otherwise.  Prints a table and
writes bench/results/analysis.json with ratios measured in the same run.

    .venv/bin/python -m bench.analysis [--units 10000000] [--events 100000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench import harness
from bench.analysis_pandas import (
    METRICS,
    SPECS,
    STAT_NAMES,
    analyse_pandas,
)
from bench.analysis_sql import (
    EXPERIMENT,
    handwritten_sql,
    handwritten_sql_three_metrics,
    sums_of_rows,
)
from orgloop.experiments.ingest.units import SCHEMA as UNITS_SCHEMA
from orgloop.experiments.ingest.units import fingerprinted

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results" / "analysis.json"
START = "2026-01-01 00:00:00+00"
# Exposures spread over 14 days; events over the 14 days before to the 28 days after the start,
# so each unit has pre-exposure events (the CUPED covariate) and post-exposure events.
EXPOSURE_DAYS, EVENTS_FROM_DAYS, EVENTS_DAYS = 14, -14, 42

_COLUMNS = (
    "id VARCHAR, unit VARCHAR, {name} VARCHAR, {extra}"
    '"timestamp" TIMESTAMPTZ, properties JSON, environment VARCHAR, received_at TIMESTAMPTZ,'
    " uid INTEGER"
)
# The data set's layout: bumped when the event store's tables change, so that an older file is
# not read as the new layout.
LAYOUT = 3

_EXPOSURES = """
INSERT INTO exposures
SELECT 'x' || r, 'u' || unit, '{experiment}',
       CASE WHEN (hash(unit, {seed}) % 2 = 0) != (r >= {units} AND hash(r, {seed} + 1) % 100 = 0)
            THEN 'control' ELSE 'treatment' END,
       ts, NULL, NULL, ts, unit::INTEGER
FROM (
    SELECT r, CASE WHEN r < {units} THEN r ELSE hash(r, {seed} + 2) % {units} END AS unit,
           TIMESTAMPTZ '{start}' + to_seconds(
               (hash(r, {seed} + 3) % ({days} * 86400))::BIGINT
               + CASE WHEN r < {units} THEN 0 ELSE 86400 * 20 END) AS ts
    FROM range({rows}) t(r)
)
"""

# Unit activity is skewed (low unit numbers are more active), so pre- and post-exposure activity
# correlate per unit, as they do in real data and as CUPED assumes.
_EVENTS = """
INSERT INTO events
SELECT 'e' || i, 'u' || unit,
       CASE WHEN k < 60 THEN 'visit' WHEN k < 85 THEN 'add_to_cart' ELSE 'purchase' END,
       CASE WHEN k >= 85 THEN round((hash(i, {seed} + 6) % 10000) / 100.0
                                    * (1 + 0.05 * (hash(unit, {seed}) % 2)::DOUBLE), 2) END,
       ts, NULL, NULL, ts, unit::INTEGER
FROM (
    SELECT i, floor({units} * pow((hash(i, {seed} + 4) >> 32) / 4294967296.0, 1.5))::BIGINT AS unit,
           hash(i, {seed} + 5) % 100 AS k,
           TIMESTAMPTZ '{start}' + to_seconds({from_s} + (hash(i, {seed} + 7) % {span_s})::BIGINT)
               AS ts
    FROM range({events}) t(i)
)
"""


def dataset(units: int, events: int, seed: int, *, work: Path = WORK) -> Path:
    """The DuckDB file of this size and seed, generated on first use (written aside, renamed)."""
    path = work / f"analysis-v{LAYOUT}-{units}u-{events}e-s{seed}.duckdb"
    if path.exists():
        return path
    work.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    # Same columns as the event store; no PRIMARY KEY index (ingest dedup only, not analysis).
    con.execute(
        f"CREATE TABLE exposures ({_COLUMNS.format(name='experiment', extra='variant VARCHAR, ')})"
    )
    con.execute(f"CREATE TABLE events ({_COLUMNS.format(name='event', extra='value DOUBLE, ')})")
    sizes = {"units": units, "seed": seed, "start": START, "experiment": EXPERIMENT}
    con.execute(_EXPOSURES.format(**sizes, rows=units + units // 5, days=EXPOSURE_DAYS))
    con.execute(
        _EVENTS.format(
            **sizes,
            events=events,
            from_s=EVENTS_FROM_DAYS * 86400,
            span_s=EVENTS_DAYS * 86400,
        )
    )
    # Unit numbers as the event store gives them (its own order differs: any dense numbering
    # does); the units here are the integers 0 to units - 1 already.
    con.execute(UNITS_SCHEMA)
    every_unit = f"SELECT 'u' || r AS unit FROM range({units}) t(r)"
    con.execute(
        "INSERT INTO units BY NAME SELECT unit, hi, lo, ltrim(unit, 'u')::INTEGER AS uid"
        f" FROM ({fingerprinted(every_unit)})"
    )
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    return path


CONTENDERS = (
    "sql-visits",
    "sql-visits-uid",
    "sql-visits-interval",
    "orgloop",
    "sql-visits-same-rows",
    "sql-three-metrics",
    "sql-carts",
    "sql-revenue",
    "pandas",
)


def run_contender(name: str, db: Path, *, threads: int, memory_limit: str) -> dict[str, Any]:
    """Run one contender in this process: its seconds, CPU seconds and per-variant sums."""
    cpu = _cpu_seconds()
    result = _run(name, db, threads=threads, memory_limit=memory_limit)
    # CPU time of every thread of this process: steadier than wall time on a shared machine.
    result["cpu_seconds"] = _cpu_seconds() - cpu - result.pop("setup_cpu_seconds", 0.0)
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(name: str, db: Path, *, threads: int, memory_limit: str) -> dict[str, Any]:
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": threads,
        "memory_limit": memory_limit,
    }
    if name == "orgloop":
        # Imports and connecting are set-up, not analysis: the SQL contenders' ``duckdb`` is
        # imported before their clock starts, so orgloop's imports are kept out of its CPU too.
        setup = _cpu_seconds()
        import ibis

        from orgloop.experiments.metrics import parse_metrics
        from orgloop.experiments.queries import analyse

        metrics = parse_metrics(METRICS)
        ibis_con = ibis.duckdb.connect(str(db), read_only=True, **config)
        setup = _cpu_seconds() - setup
        started = time.perf_counter()
        analysis = analyse(ibis_con, experiment=EXPERIMENT, metrics=metrics, unit_numbers=True)
        seconds = time.perf_counter() - started
        if not analysis.by_unit_number:
            raise RuntimeError(f"{db} has no unit numbers: the analysis did not go by number")
        return {"seconds": seconds, "sums": _orgloop_sums(analysis), "setup_cpu_seconds": setup}
    con = duckdb.connect(str(db), read_only=True, config=config)
    started = time.perf_counter()
    if name == "pandas":
        sums = analyse_pandas(con)
        return {"seconds": time.perf_counter() - started, "sums": sums}
    if name == "sql-three-metrics":
        rows = con.execute(handwritten_sql_three_metrics()).fetchall()
        return {
            "seconds": time.perf_counter() - started,
            "sums": sums_of_rows(rows, [s.key for s in SPECS]),
        }
    key, _, form = name.removeprefix("sql-").partition("-")
    rows = con.execute(handwritten_sql(key, form or "best")).fetchall()
    return {"seconds": time.perf_counter() - started, "sums": sums_of_rows(rows, [key])}


def _orgloop_sums(analysis: Any) -> dict[str, Any]:
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for s in analysis.metrics:
        values = (s.sum, s.sum_squares, s.covariate_sum, s.covariate_sum_squares, s.cross_sum)
        metrics.setdefault(s.metric, {})[s.variant] = dict(zip(STAT_NAMES, values, strict=True))
    return {
        "units": dict(analysis.units),
        "excluded": analysis.diagnostics.units_in_several_variants,
        "metrics": metrics,
    }


def measure(name: str, db: Path, *, threads: int, memory_limit: str) -> dict[str, Any]:
    """Run a contender alone in a child process started by the harness's launcher; add its own
    peak RSS and the load average when it started."""
    command = [sys.executable, "-m", "bench.analysis", "--contender", name, "--db", str(db)]
    command += ["--threads", str(threads), "--memory-limit", memory_limit]
    load = harness.load_average()
    run = harness.run(command, cwd=ROOT.parent)
    if run["exit_code"] != 0:
        raise RuntimeError(f"contender {name} failed ({run['exit_code']}): {run['stderr'][-800:]}")
    result: dict[str, Any] = json.loads(run["stdout"])
    return result | {"peak_rss_mb": run["peak_rss_mb"], "load_average_1m_at_start": load[0]}


def agree(a: dict[str, Any], b: dict[str, Any], rel: float = 1e-6) -> bool:
    """Same unit counts and the same sums (to ``rel``) for every metric both computed."""
    if a["units"] != b["units"]:
        return False
    for key in a["metrics"].keys() & b["metrics"].keys():
        for variant, stats in a["metrics"][key].items():
            other = b["metrics"][key][variant]
            if not all(math.isclose(v, other[k], rel_tol=rel) for k, v in stats.items()):
                return False
    return True


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100k units, 1M events")
    parser.add_argument("--repeat", type=int, default=2, help="best of N, for every contender")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory_limit")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas contender")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK, help="where data sets are kept")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.events = 100_000, 1_000_000
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every contender's sums equal orgloop's, 1 otherwise."""
    args = parse(argv)
    limits = {"threads": args.threads, "memory_limit": args.memory_limit}
    if args.contender:  # child process: run one contender, answer on stdout
        print(json.dumps(run_contender(args.contender, args.db, **limits)))
        return 0
    load_before = harness.load_average()
    started = time.perf_counter()
    db = dataset(args.units, args.events, args.seed, work=args.work)
    generate_seconds = time.perf_counter() - started
    names = [n for n in CONTENDERS if not (args.no_pandas and n == "pandas")]
    tries: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    # Rounds, not one contender's repeats back to back: a burst of load on the shared machine
    # then falls on every contender alike.
    for _ in range(args.repeat):
        for name in names:
            tries[name].append(measure(name, db, **limits))
    report = summarise(args, tries, generate_seconds, load_before)
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    differ = [n for n, r in report["contenders"].items() if not r["same_sums_as_orgloop"]]
    if differ:
        print(f"sums differ from orgloop's: {', '.join(differ)}")
    return 1 if differ else 0


def summarise(
    args: argparse.Namespace,
    tries: dict[str, list[dict[str, Any]]],
    generate_seconds: float,
    load_before: list[float],
) -> dict[str, Any]:
    runs = {name: min(t, key=lambda r: float(r["seconds"])) for name, t in tries.items()}
    # The peer is the faster of the best one-metric queries (on unit strings, on unit numbers).
    peer = min(("sql-visits", "sql-visits-uid"), key=lambda n: float(runs[n]["cpu_seconds"]))
    orgloop, best = runs["orgloop"], runs[peer]
    sql_all = sum(runs[f"sql-{s.key}"]["seconds"] for s in SPECS)
    ratios: dict[str, Any] = {
        "sql_one_metric_peer": peer,
        "orgloop_over_sql_one_metric": orgloop["seconds"] / best["seconds"],
        "target_orgloop_over_sql_one_metric_max": 1.5,
        "cpu_orgloop_over_sql_one_metric": orgloop["cpu_seconds"] / best["cpu_seconds"],
        "orgloop_over_sql_one_metric_interval_form": orgloop["seconds"]
        / runs["sql-visits-interval"]["seconds"],
        "orgloop_over_sql_three_queries": orgloop["seconds"] / sql_all,
        "cpu_sql_uid_over_sql_strings": runs["sql-visits-uid"]["cpu_seconds"]
        / runs["sql-visits"]["cpu_seconds"],
    }
    if "sql-visits-same-rows" in runs:
        # The one metric over orgloop's rows: the part of the ratio that is the event mix.
        same_rows = runs["sql-visits-same-rows"]
        ratios |= {
            "cpu_sql_same_rows_over_sql_one_metric": same_rows["cpu_seconds"] / best["cpu_seconds"],
            "cpu_orgloop_over_sql_same_rows": orgloop["cpu_seconds"] / same_rows["cpu_seconds"],
        }
    if "sql-three-metrics" in runs:
        # The same work as orgloop's, hand-written at its best: what orgloop's own shape costs.
        three = runs["sql-three-metrics"]
        ratios |= {
            "orgloop_over_sql_three_metrics": orgloop["seconds"] / three["seconds"],
            "cpu_orgloop_over_sql_three_metrics": orgloop["cpu_seconds"] / three["cpu_seconds"],
            "cpu_sql_three_metrics_over_sql_one_metric": three["cpu_seconds"] / best["cpu_seconds"],
        }
    if "pandas" in runs:
        ratios |= {
            "pandas_over_orgloop_seconds": runs["pandas"]["seconds"] / orgloop["seconds"],
            "cpu_pandas_over_orgloop": runs["pandas"]["cpu_seconds"] / orgloop["cpu_seconds"],
            "target_pandas_over_orgloop_seconds_min": 3.0,
            "orgloop_over_pandas_peak_rss": max(t["peak_rss_mb"] for t in tries["orgloop"])
            / max(t["peak_rss_mb"] for t in tries["pandas"]),
            "target_orgloop_over_pandas_peak_rss_max": 0.25,
        }
    # Wall and CPU both: on a shared machine a wall ratio alone can pass on luck.
    ratios["orgloop_within_target"] = (
        ratios["orgloop_over_sql_one_metric"] <= 1.5
        and ratios["cpu_orgloop_over_sql_one_metric"] <= 1.5
    )
    return {
        "units": args.units,
        "events": args.events,
        "seed": args.seed,
        "metrics": METRICS,
        "handwritten_sql_one_metric": handwritten_sql("visits"),
        "handwritten_sql_one_metric_on_unit_numbers": handwritten_sql("visits", "uid"),
        "handwritten_sql_one_metric_interval_form": handwritten_sql("visits", "interval"),
        "handwritten_sql_one_metric_same_rows": handwritten_sql("visits", "same-rows"),
        "handwritten_sql_three_metrics": handwritten_sql_three_metrics(),
        "generate_seconds": round(generate_seconds, 1),
        "repeat": args.repeat,
        "contenders": {
            name: {
                "seconds": round(r["seconds"], 3),
                "cpu_seconds": round(r["cpu_seconds"], 3),
                # The highest of its runs: memory does not get better by luck.
                "peak_rss_mb": max(t["peak_rss_mb"] for t in tries[name]),
                "runs": len(tries[name]),
                "all_seconds": [round(t["seconds"], 3) for t in tries[name]],
                "all_cpu_seconds": [round(t["cpu_seconds"], 3) for t in tries[name]],
                "load_average_1m_at_start": [t["load_average_1m_at_start"] for t in tries[name]],
                "same_sums_as_orgloop": all(agree(t["sums"], orgloop["sums"]) for t in tries[name]),
            }
            for name, r in runs.items()
        },
        "ratios": {k: round(v, 3) if isinstance(v, float) else v for k, v in ratios.items()},
        "machine": harness.machine(load_before)
        | {
            "duckdb_threads": args.threads,
            "duckdb_memory_limit": args.memory_limit,
            "peak_rss_measured_by": "bench.harness launcher (wait4 of the contender alone)",
        },
    }


def print_table(report: dict[str, Any]) -> None:
    print(f"{report['units']:,} units, {report['events']:,} events, best of {report['repeat']}")
    print(f"{'contender':<22}{'seconds':>10}{'CPU s':>8}{'peak RSS MB':>13}{'same sums':>11}")
    for name, r in report["contenders"].items():
        row = f"{name:<22}{r['seconds']:>10.2f}{r['cpu_seconds']:>8.2f}{r['peak_rss_mb']:>13.0f}"
        print(f"{row}{r['same_sums_as_orgloop']!s:>11}")
    for key, value in report["ratios"].items():
        print(f"{key:<48}{value!s:>8}")
    before, after = (
        report["machine"]["load_average_before"],
        report["machine"]["load_average_after"],
    )
    print(f"load average before {before}, after {after}")


if __name__ == "__main__":
    raise SystemExit(main())
