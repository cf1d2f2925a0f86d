"""The dense-unit experiment on a tiny data set: its sums equal the best SQL queries'."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from bench import analysis, analysis_dense


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return analysis.dataset(2_000, 20_000, 5, work=tmp_path_factory.mktemp("dense"))


def test_every_unit_gets_one_dense_number_and_both_tables_carry_it(original: Path) -> None:
    dense = analysis_dense.prepare(original)
    con = duckdb.connect(str(dense), read_only=True)
    units, lowest, highest = con.execute(
        "SELECT count(*), min(uid), max(uid) FROM units"
    ).fetchall()[0]
    assert (lowest, highest) == (0, units - 1)
    for table in ("exposures", "events"):
        unnumbered = con.execute(f"SELECT count(*) FROM {table} WHERE uid IS NULL").fetchall()
        assert unnumbered == [(0,)], table
    con.close()
    assert analysis_dense.prepare(original) == dense  # made once, then reused


def test_the_dense_analysis_gives_the_three_metric_query_s_sums(original: Path) -> None:
    dense = analysis_dense.prepare(original)
    config = {"threads": 1, "memory_limit": "256MB"}
    three = analysis_dense.run_once("sql-three-metrics", original, dense, config)
    by_position = analysis_dense.run_once("dense", original, dense, config)
    assert set(by_position["sums"]["metrics"]) == {"visits", "carts", "revenue"}
    assert analysis_dense.same_sums(by_position["sums"], three["sums"])
    at_query = analysis_dense.run_once("dense-at-query", original, dense, config)
    assert analysis_dense.same_sums(at_query["sums"], three["sums"])
    on_uid = analysis_dense.run_once("sql-visits-uid", original, dense, config)
    on_unit = analysis_dense.run_once("sql-visits", original, dense, config)
    assert on_uid["sums"] == on_unit["sums"]
    # a changed sum is noticed
    changed = json.loads(json.dumps(three["sums"]))
    changed["metrics"]["revenue"]["treatment"]["sum"] += 1.0
    assert not analysis_dense.same_sums(by_position["sums"], changed)


def test_a_run_reports_ratios_to_both_one_metric_queries(original: Path, tmp_path: Path) -> None:
    out = tmp_path / "dense.json"
    argv = ["--units", "2000", "--events", "20000", "--seed", "5", "--work", str(original.parent)]
    assert analysis_dense.main([*argv, "--threads", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert all(r["same_sums"] for r in report["contenders"].values())
    assert report["cpu_dense_over_sql-visits"] > 0
    assert report["cpu_dense_over_sql-visits-uid"] > 0
    assert report["wall_dense-at-query_over_sql-visits"] > 0
    assert len(report["machine"]["load_average_after"]) == 3
