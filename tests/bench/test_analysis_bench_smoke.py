"""The analysis benchmark on a tiny data set: every contender computes the same sums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import analysis, analysis_sql

THREADS, MEMORY = 1, "256MB"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return analysis.dataset(2_000, 20_000, 3, work=tmp_path_factory.mktemp("analysis"))


def test_the_data_set_is_generated_once_and_reused(db: Path) -> None:
    modified = db.stat().st_mtime_ns
    assert analysis.dataset(2_000, 20_000, 3, work=db.parent) == db
    assert db.stat().st_mtime_ns == modified


def test_orgloop_pandas_and_the_handwritten_queries_agree(db: Path) -> None:
    orgloop = analysis.run_contender("orgloop", db, threads=THREADS, memory_limit=MEMORY)
    assert set(orgloop["sums"]["metrics"]) == {"visits", "carts", "revenue"}
    assert orgloop["sums"]["excluded"] > 0
    for name in analysis.CONTENDERS:
        other = analysis.run_contender(name, db, threads=THREADS, memory_limit=MEMORY)
        assert analysis.agree(other["sums"], orgloop["sums"]), name


def test_the_best_query_keeps_windows_in_the_join_as_integers() -> None:
    best = analysis_sql.handwritten_sql("visits")
    interval = analysis_sql.handwritten_sql("visits", "interval")
    assert "epoch_us" in best
    assert "INTERVAL" not in best
    assert "count(DISTINCT" not in best
    assert "min(variant) = max(variant)" in best
    assert "INTERVAL 168 HOUR" in interval
    with pytest.raises(ValueError, match="unknown form"):
        analysis_sql.handwritten_sql("visits", "fast")


def test_the_same_rows_form_reads_every_metric_event_but_counts_its_own(db: Path) -> None:
    sql = analysis_sql.handwritten_sql("visits", "same-rows")
    assert "e.event IN ('visit', 'add_to_cart', 'purchase')" in sql
    same = analysis.run_contender("sql-visits-same-rows", db, threads=THREADS, memory_limit=MEMORY)
    best = analysis.run_contender("sql-visits", db, threads=THREADS, memory_limit=MEMORY)
    assert same["sums"] == best["sums"]


def test_the_three_metric_query_gives_every_metric_of_orgloop_in_one_statement(db: Path) -> None:
    sql = analysis_sql.handwritten_sql_three_metrics()
    assert sql.count("LEFT JOIN events") == 1
    assert "e.event IN ('visit', 'add_to_cart', 'purchase')" in sql
    three = analysis.run_contender("sql-three-metrics", db, threads=THREADS, memory_limit=MEMORY)
    orgloop = analysis.run_contender("orgloop", db, threads=THREADS, memory_limit=MEMORY)
    assert set(three["sums"]["metrics"]) == {"visits", "carts", "revenue"}
    assert analysis.agree(three["sums"], orgloop["sums"])
    # and a one-metric query's sums are that metric's part of it
    best = analysis.run_contender("sql-carts", db, threads=THREADS, memory_limit=MEMORY)
    assert best["sums"]["metrics"]["carts"] == three["sums"]["metrics"]["carts"]


def test_a_contender_in_its_own_process_reports_its_peak_memory(db: Path) -> None:
    result = analysis.measure("sql-visits", db, threads=THREADS, memory_limit=MEMORY)
    assert result["seconds"] > 0
    assert result["peak_rss_mb"] > 10
    assert result["sums"]["metrics"]["visits"]["control"]["sum"] > 0
    # Its own interpreter, DuckDB and a tiny data set: far below what this test process holds.
    assert result["peak_rss_mb"] < 400


def test_a_run_gives_every_contender_the_same_repeats_and_records_load_and_versions(
    db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "analysis.json"
    argv = ["--units", "2000", "--events", "20000", "--seed", "3", "--work", str(db.parent)]
    argv += ["--repeat", "2", "--threads", "1", "--memory-limit", MEMORY, "--out", str(out)]
    assert analysis.main(argv) == 0
    report = json.loads(out.read_text())
    assert set(report["contenders"]) == set(analysis.CONTENDERS)
    for name, result in report["contenders"].items():
        assert result["runs"] == 2, name
        assert result["same_sums_as_orgloop"], name
        assert result["seconds"] == min(result["all_seconds"])
    machine = report["machine"]
    assert len(machine["load_average_before"]) == len(machine["load_average_after"]) == 3
    for package in ("python", "duckdb", "pandas", "ibis-framework", "numpy", "pyarrow"):
        assert machine["versions"][package], package
    assert "epoch_us" in report["handwritten_sql_one_metric"]
    assert report["ratios"]["cpu_sql_same_rows_over_sql_one_metric"] > 0
    assert report["ratios"]["cpu_orgloop_over_sql_three_metrics"] > 0
