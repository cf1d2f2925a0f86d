"""Experiment analysis at scale: orgloop (Ibis on DuckDB) against hand-written SQL and pandas.

A synthetic experiment (10M units, 100M events by default) is generated once with DuckDB SQL into
``bench/.work/`` in the event store's table layout and reused (keyed by size and seed).  Each
contender runs in its own process, so its peak RSS is its own (``os.wait4`` rusage):

- ``orgloop``: ``queries.analyse`` for three mean metrics with CUPED (all in one analysis);
- ``sql-<metric>``: the SQL an analyst writes for one of those metrics with CUPED;
- ``pandas``: the same three metrics with pandas (``bench/analysis_pandas.py``).

Prints a table and writes bench/results/analysis.json with ratios measured in the same run.

    .venv/bin/python -m bench.analysis [--units 10000000] [--events 100000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.analysis_pandas import (
    LOOKBACK_HOURS,
    METRICS,
    SPECS,
    STAT_NAMES,
    WINDOW_HOURS,
    analyse_pandas,
)

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results" / "analysis.json"
EXPERIMENT = "bench"
START = "2026-01-01 00:00:00+00"
# Exposures spread over 14 days; events over the 14 days before to the 28 days after the start,
# so each unit has pre-exposure events (the CUPED covariate) and post-exposure events.
EXPOSURE_DAYS, EVENTS_FROM_DAYS, EVENTS_DAYS = 14, -14, 42

_COLUMNS = (
    "id VARCHAR, unit VARCHAR, {name} VARCHAR, {extra}"
    '"timestamp" TIMESTAMPTZ, properties JSON, environment VARCHAR, received_at TIMESTAMPTZ'
)

_EXPOSURES = """
INSERT INTO exposures
SELECT 'x' || r, 'u' || unit, '{experiment}',
       CASE WHEN (hash(unit, {seed}) % 2 = 0) != (r >= {units} AND hash(r, {seed} + 1) % 100 = 0)
            THEN 'control' ELSE 'treatment' END,
       ts, NULL, NULL, ts
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
       ts, NULL, NULL, ts
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
    path = work / f"analysis-{units}u-{events}e-s{seed}.duckdb"
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
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    return path


_AGGREGATE = {
    "count": "count(e.unit) FILTER (WHERE {cond})",
    "sum": "coalesce(sum(e.value) FILTER (WHERE {cond}), 0)",
    "any": "(count(e.unit) FILTER (WHERE {cond}) > 0)::INT",
}

_HANDWRITTEN = """
WITH first_exposures AS (
    SELECT unit, min(variant) AS variant, min("timestamp") AS first_exposure
    FROM exposures
    WHERE experiment = '{experiment}'
    GROUP BY unit
    HAVING count(DISTINCT variant) = 1
),
per_unit AS (
    SELECT f.variant,
           {y} AS y,
           {x} AS x
    FROM first_exposures f
    LEFT JOIN events e ON e.unit = f.unit AND e.event = '{event}'
    GROUP BY f.unit, f.variant
)
SELECT variant, count(*) AS n, sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
FROM per_unit
GROUP BY variant
ORDER BY variant
"""


def handwritten_sql(key: str) -> str:
    """The query an analyst writes for one mean metric with CUPED, per variant."""
    spec = next(s for s in SPECS if s.key == key)
    post = (
        'e."timestamp" >= f.first_exposure AND e."timestamp" < f.first_exposure + INTERVAL {h} HOUR'
    )
    pre = (
        'e."timestamp" >= f.first_exposure - INTERVAL {h} HOUR AND e."timestamp" < f.first_exposure'
    )
    template = _AGGREGATE[spec.aggregation]
    return _HANDWRITTEN.format(
        experiment=EXPERIMENT,
        event=spec.event,
        y=template.format(cond=post.format(h=int(WINDOW_HOURS))),
        x=template.format(cond=pre.format(h=int(LOOKBACK_HOURS))),
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
        import ibis

        from orgloop.experiments.metrics import parse_metrics
        from orgloop.experiments.queries import analyse

        setup = _cpu_seconds()
        metrics = parse_metrics(METRICS)
        ibis_con = ibis.duckdb.connect(str(db), read_only=True, **config)
        setup = _cpu_seconds() - setup
        started = time.perf_counter()
        analysis = analyse(ibis_con, experiment=EXPERIMENT, metrics=metrics)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "sums": _orgloop_sums(analysis), "setup_cpu_seconds": setup}
    con = duckdb.connect(str(db), read_only=True, config=config)
    started = time.perf_counter()
    if name == "pandas":
        sums = analyse_pandas(con)
        return {"seconds": time.perf_counter() - started, "sums": sums}
    key = name.removeprefix("sql-")
    rows = con.execute(handwritten_sql(key)).fetchall()
    seconds = time.perf_counter() - started
    metric = {str(r[0]): dict(zip(STAT_NAMES, map(float, r[2:]), strict=True)) for r in rows}
    return {
        "seconds": seconds,
        "sums": {"units": {str(r[0]): int(r[1]) for r in rows}, "metrics": {key: metric}},
    }


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
    """Run a contender in a child process; add the child's own peak RSS (from ``wait4``)."""
    command = [sys.executable, "-m", "bench.analysis", "--contender", name, "--db", str(db)]
    command += ["--threads", str(threads), "--memory-limit", memory_limit]
    out_path = db.with_name(f"contender-{os.getpid()}.json")
    with out_path.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, cwd=ROOT.parent)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text()
    out_path.unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"contender {name} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(text)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB
    return result


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
    parser.add_argument("--repeat", type=int, default=2, help="best of N for orgloop and SQL")
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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    limits = {"threads": args.threads, "memory_limit": args.memory_limit}
    if args.contender:  # child process: run one contender, answer on stdout
        print(json.dumps(run_contender(args.contender, args.db, **limits)))
        return {}
    load_before = os.getloadavg()
    started = time.perf_counter()
    db = dataset(args.units, args.events, args.seed, work=args.work)
    generate_seconds = time.perf_counter() - started
    names = ["sql-visits", "orgloop", "sql-carts", "sql-revenue"]
    runs: dict[str, dict[str, Any]] = {}
    for name in names:
        repeat = args.repeat if name in ("orgloop", "sql-visits") else 1
        tries = [measure(name, db, **limits) for _ in range(repeat)]
        runs[name] = min(tries, key=lambda r: float(r["seconds"]))
    if not args.no_pandas:
        runs["pandas"] = measure("pandas", db, **limits)
    report = summarise(args, runs, generate_seconds, load_before)
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def summarise(
    args: argparse.Namespace,
    runs: dict[str, dict[str, Any]],
    generate_seconds: float,
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    orgloop = runs["orgloop"]
    sql_all = sum(runs[f"sql-{s.key}"]["seconds"] for s in SPECS)
    ratios: dict[str, Any] = {
        "orgloop_over_sql_one_metric": orgloop["seconds"] / runs["sql-visits"]["seconds"],
        "target_orgloop_over_sql_one_metric_max": 1.5,
        "orgloop_over_sql_three_queries": orgloop["seconds"] / sql_all,
        "cpu_orgloop_over_sql_one_metric": orgloop["cpu_seconds"]
        / runs["sql-visits"]["cpu_seconds"],
    }
    if "pandas" in runs:
        ratios |= {
            "pandas_over_orgloop_seconds": runs["pandas"]["seconds"] / orgloop["seconds"],
            "cpu_pandas_over_orgloop": runs["pandas"]["cpu_seconds"] / orgloop["cpu_seconds"],
            "target_pandas_over_orgloop_seconds_min": 3.0,
            "orgloop_over_pandas_peak_rss": orgloop["peak_rss_mb"] / runs["pandas"]["peak_rss_mb"],
            "target_orgloop_over_pandas_peak_rss_max": 0.25,
        }
    return {
        "units": args.units,
        "events": args.events,
        "seed": args.seed,
        "metrics": METRICS,
        "handwritten_sql_one_metric": handwritten_sql("visits"),
        "generate_seconds": round(generate_seconds, 1),
        "contenders": {
            name: {
                "seconds": round(r["seconds"], 3),
                "cpu_seconds": round(r["cpu_seconds"], 3),
                "peak_rss_mb": r["peak_rss_mb"],
                "same_sums_as_orgloop": agree(r["sums"], orgloop["sums"]),
            }
            for name, r in runs.items()
        },
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "duckdb_threads": args.threads,
            "duckdb_memory_limit": args.memory_limit,
            "repeat_best_of": args.repeat,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }


def print_table(report: dict[str, Any]) -> None:
    print(f"{report['units']:,} units, {report['events']:,} events")
    print(f"{'contender':<14}{'seconds':>10}{'CPU s':>8}{'peak RSS MB':>13}{'same sums':>11}")
    for name, r in report["contenders"].items():
        row = f"{name:<14}{r['seconds']:>10.2f}{r['cpu_seconds']:>8.2f}{r['peak_rss_mb']:>13.0f}"
        print(f"{row}{r['same_sums_as_orgloop']!s:>11}")
    for key, value in report["ratios"].items():
        print(f"{key:<44}{value:>8.3f}")


if __name__ == "__main__":
    main()
