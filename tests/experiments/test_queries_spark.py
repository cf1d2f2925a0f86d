"""The same analysis code on Spark (PySpark in local mode) gives DuckDB's numbers.

Needs PySpark (in the dev install) and a Java runtime; skipped with the reason when either is
missing, and a failure instead when ORGLOOP_REQUIRE_SPARK=1 (as in CI).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from orgloop.experiments.config import parse_config, run_on
from orgloop.experiments.queries import analyse
from tests.experiments.synthetic import Data, experiment
from tests.experiments.test_queries_backends import METRICS, assert_identical

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # PySpark 4.0's Arrow-to-pandas step passes pandas 3 a deprecated keyword.
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

_EXPOSURES = "unit STRING, timestamp TIMESTAMP, experiment STRING, variant STRING"
_EVENTS = "unit STRING, timestamp TIMESTAMP, event STRING, value DOUBLE"


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[dev]' installs it)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (java is not on PATH and JAVA_HOME is unset)"
    return None


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("ORGLOOP_REQUIRE_SPARK") == "1":
            pytest.fail(f"Spark is required here (ORGLOOP_REQUIRE_SPARK=1) but {reason}")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    warehouse: Path = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("orgloop-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _views(spark: Any, data: Data) -> None:
    """The experiment's tables as Spark views, NULLs as NULLs (not pandas' NaN)."""
    rows = list(zip(*data.exposures.values(), strict=True))
    spark.createDataFrame(rows, schema=_EXPOSURES).createOrReplaceTempView("exposures")
    rows = list(zip(*data.events.values(), strict=True))
    spark.createDataFrame(rows, schema=_EVENTS).createOrReplaceTempView("events")


def test_spark_gives_the_same_numbers_as_duckdb(spark: Any) -> None:
    data = experiment(units=400, seed=11)
    assert list(data.exposures) == ["unit", "timestamp", "experiment", "variant"]
    _views(spark, data)
    on_spark = analyse(ibis.pyspark.connect(spark), experiment="checkout", metrics=METRICS)
    duckdb_con = ibis.duckdb.connect()
    duckdb_con.create_table("exposures", ibis.memtable(data.exposures))
    duckdb_con.create_table("events", ibis.memtable(data.events))
    on_duckdb = analyse(duckdb_con, experiment="checkout", metrics=METRICS)
    assert on_spark.units == on_duckdb.units
    assert on_spark.diagnostics == on_duckdb.diagnostics
    assert on_spark.diagnostics.units_in_several_variants == 1
    # Every metric kind: capped sum, proportion, max, ratio (delta method) and a quantile.
    assert {s.metric for s in on_spark.metrics} == {m.key for m in METRICS} - {"p90"}
    assert_identical(on_spark.metrics, on_duckdb.metrics)
    assert_identical(on_spark.quantiles, on_duckdb.quantiles)


def test_an_analyze_config_runs_on_a_spark_session(spark: Any, tmp_path: Path) -> None:
    # What `orgloop analyze` reports, on a session the user opened, with a warehouse mapping.
    data = experiment(units=300, seed=5)
    rows = list(zip(*data.exposures.values(), strict=True))
    schema = "customer STRING, assigned_at TIMESTAMP, test STRING, arm STRING"
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("assignments")
    rows = list(zip(*data.events.values(), strict=True))
    schema = "customer STRING, at TIMESTAMP, action STRING, amount DOUBLE"
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("actions")
    mapping = {
        "exposures_table": "assignments",
        "events_table": "actions",
        "exposure_columns": {
            "unit": "customer", "timestamp": "assigned_at", "experiment": "test", "variant": "arm"
        },
        "event_columns": {"unit": "customer", "timestamp": "at", "event": "action", "value": "amount"},
    }  # fmt: skip
    metrics = [{"key": "spend", "event": "purchase", "aggregation": "sum"}]
    on_spark = run_on(
        ibis.pyspark.connect(spark),
        parse_config(
            {"source": {"url": "pyspark://", "mapping": mapping}, "experiment": "checkout",
             "metrics": metrics}
        ),
        base=tmp_path,
    )  # fmt: skip
    duckdb_con = ibis.duckdb.connect()
    duckdb_con.create_table("exposures", ibis.memtable(data.exposures))
    duckdb_con.create_table("events", ibis.memtable(data.events))
    on_duckdb = run_on(
        duckdb_con,
        parse_config({"source": {"duckdb": "x"}, "experiment": "checkout", "metrics": metrics}),
        base=tmp_path,
    )
    assert on_spark.units == on_duckdb.units
    assert on_spark.recommendation == on_duckdb.recommendation
    [row] = on_spark.rows
    [expected] = on_duckdb.rows
    assert row.metric == "spend"
    assert row.lift == pytest.approx(expected.lift, rel=1e-9)
    assert row.p_value == pytest.approx(expected.p_value, rel=1e-9)
    assert row.cuped_variance_reduction == pytest.approx(expected.cuped_variance_reduction)
