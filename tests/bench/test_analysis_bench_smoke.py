"""The analysis benchmark on a tiny data set: every contender computes the same sums."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import analysis

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
    for name in ("pandas", "sql-visits", "sql-carts", "sql-revenue"):
        other = analysis.run_contender(name, db, threads=THREADS, memory_limit=MEMORY)
        assert analysis.agree(other["sums"], orgloop["sums"]), name


def test_a_contender_in_its_own_process_reports_its_peak_memory(db: Path) -> None:
    result = analysis.measure("sql-visits", db, threads=THREADS, memory_limit=MEMORY)
    assert result["seconds"] > 0
    assert result["peak_rss_mb"] > 10
    assert result["sums"]["metrics"]["visits"]["control"]["sum"] > 0
