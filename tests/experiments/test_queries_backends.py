"""The same analysis code on PostgreSQL gives DuckDB's numbers; a warehouse mapping reads foreign
column names unchanged."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import astuple

import ibis
import pytest
import sqlalchemy as sa

from orgloop.experiments.metrics import Metric, parse_metrics
from orgloop.experiments.queries import analyse
from orgloop.experiments.warehouse import EventColumns, ExposureColumns, WarehouseMapping
from orgloop.kernel.errors import InvalidInput
from tests.experiments.synthetic import Data, experiment

METRICS: list[Metric] = parse_metrics(
    [
        {"key": "spend", "event": "purchase", "aggregation": "sum", "cap": {"percentile": 0.95}},
        {
            "key": "converted",
            "kind": "proportion",
            "event": "purchase",
            "window": {"end_hours": 48},
        },
        {"key": "best-order", "event": "purchase", "aggregation": "max"},
        {
            "key": "spend-per-visit",
            "kind": "ratio",
            "numerator": {"event": "purchase", "aggregation": "sum"},
            "denominator": {"event": "visit"},
        },
        {
            "key": "p90",
            "kind": "quantile",
            "quantile": 0.9,
            "event": "purchase",
            "aggregation": "sum",
        },
    ]
)


SCHEMA = "experiments_analysis_test"


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def assert_identical(left: tuple[object, ...], right: tuple[object, ...]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        pairs = list(zip(astuple(a), astuple(b), strict=True))  # type: ignore[call-overload]
        assert all(_same(x, y) for x, y in pairs), (a, b)


@pytest.fixture(scope="module")
def data() -> Data:
    return experiment(units=400, seed=11)


@pytest.fixture(scope="module")
def duckdb_con(data: Data) -> object:
    con = ibis.duckdb.connect()
    con.create_table("exposures", ibis.memtable(data.exposures))
    con.create_table("events", ibis.memtable(data.events))
    return con


@pytest.fixture(scope="module")
def postgres_con(data: Data, postgres_database: str) -> Iterator[object]:
    url = sa.make_url(postgres_database)
    con = ibis.postgres.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    # A schema of its own: the session database also holds the metadata tables.
    con.raw_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}").close()
    con.create_table("exposures", ibis.memtable(data.exposures), database=SCHEMA)
    con.create_table("events", ibis.memtable(data.events), database=SCHEMA)
    yield con
    con.raw_sql(f"DROP SCHEMA {SCHEMA} CASCADE").close()
    con.disconnect()


@pytest.mark.postgres
def test_postgres_gives_the_same_numbers_as_duckdb(
    duckdb_con: object, postgres_con: object
) -> None:
    on_duckdb = analyse(duckdb_con, experiment="checkout", metrics=METRICS)
    on_postgres = analyse(
        postgres_con,
        experiment="checkout",
        metrics=METRICS,
        mapping=WarehouseMapping(database=SCHEMA),
    )
    assert on_postgres.units == on_duckdb.units
    assert on_postgres.diagnostics == on_duckdb.diagnostics
    assert_identical(on_postgres.metrics, on_duckdb.metrics)
    assert_identical(on_postgres.quantiles, on_duckdb.quantiles)


WAREHOUSE = WarehouseMapping(
    exposures_table="assignments",
    events_table="fact_actions",
    exposure_columns=ExposureColumns(
        unit="customer_id", timestamp="assigned_at", experiment="test_name", variant="arm"
    ),
    event_columns=EventColumns(
        unit="customer_id", timestamp="occurred_at", event="action", value="amount"
    ),
)


@pytest.fixture(scope="module")
def warehouse_con(data: Data) -> object:
    con = ibis.duckdb.connect()
    exposures = dict(
        zip(
            ["customer_id", "assigned_at", "test_name", "arm"], data.exposures.values(), strict=True
        )
    )
    events = dict(
        zip(["customer_id", "occurred_at", "action", "amount"], data.events.values(), strict=True)
    )
    con.create_table(
        "assignments", ibis.memtable({**exposures, "extra": [1] * len(data.exposures["unit"])})
    )
    con.create_table("fact_actions", ibis.memtable(events))
    return con


def test_warehouse_mapping_reads_tables_with_other_column_names(
    duckdb_con: object, warehouse_con: object
) -> None:
    native = analyse(duckdb_con, experiment="checkout", metrics=METRICS)
    mapped = analyse(warehouse_con, experiment="checkout", metrics=METRICS, mapping=WAREHOUSE)
    assert (mapped.units, mapped.diagnostics) == (native.units, native.diagnostics)
    assert_identical(mapped.metrics, native.metrics)  # sums in parallel: order may differ
    assert_identical(mapped.quantiles, native.quantiles)


@pytest.mark.parametrize(
    ("mapping", "path"),
    [
        pytest.param(
            WAREHOUSE.model_copy(update={"events_table": "nope"}), "events_table", id="table"
        ),
        pytest.param(
            WAREHOUSE.model_copy(
                update={
                    "event_columns": EventColumns(
                        unit="customer_id", timestamp="ts", event="action", value="amount"
                    )
                }
            ),
            "event_columns.timestamp",
            id="column",
        ),
    ],
)
def test_a_wrong_mapping_names_the_field(
    warehouse_con: object, mapping: WarehouseMapping, path: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        analyse(warehouse_con, experiment="checkout", metrics=METRICS, mapping=mapping)
    assert caught.value.details["errors"][0]["path"] == path
