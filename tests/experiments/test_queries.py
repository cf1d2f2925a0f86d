"""The analysis on DuckDB: per-variant sums match a plain-Python reference.

Every test runs twice: with the Ibis expression (any warehouse's tables), and by unit number (the
embedded store's tables, whose rows carry dense unit numbers: ``numbered``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ibis
import pytest

from orgloop.experiments import queries
from orgloop.experiments.ingest.units import number_units
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.queries import Analysis, MetricStats
from tests.experiments.synthetic import START, Data, experiment, per_unit


@dataclass(frozen=True)
class Source:
    backend: Any
    numbered: bool


def load(data: Data, *, numbered: bool = False) -> Source:
    con = ibis.duckdb.connect()
    con.create_table("exposures", ibis.memtable(data.exposures))
    con.create_table("events", ibis.memtable(data.events))
    if numbered:
        number_units(con.con)  # as the event store numbers the units it loads
    return Source(con, numbered)


def analyse(source: Source, **kwargs: Any) -> Analysis:
    result = queries.analyse(source.backend, unit_numbers=source.numbered, **kwargs)
    assert result.by_unit_number == source.numbered  # the form under test is the one that ran
    return result


@pytest.fixture(scope="module")
def data() -> Data:
    return experiment()


@pytest.fixture(scope="module", params=["expression", "by unit number"])
def con(data: Data, request: pytest.FixtureRequest) -> Source:
    return load(data, numbered=request.param == "by unit number")


def stats(analysis: Analysis, metric: str, variant: str) -> MetricStats:
    return next(s for s in analysis.metrics if (s.metric, s.variant) == (metric, variant))


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("aggregation", ["count", "sum", "max", "any"])
def test_mean_metric_sums_match_the_reference(con: Source, data: Data, aggregation: str) -> None:
    metrics = parse_metrics(
        [{"key": "m", "event": "purchase", "aggregation": aggregation, "window": {"end_hours": 72}}]
    )
    result = analyse(con, experiment="checkout", metrics=metrics)
    post = per_unit(data, event="purchase", aggregation=aggregation, start_h=0, end_h=72)
    pre = per_unit(data, event="purchase", aggregation=aggregation, start_h=-336, end_h=0)
    for variant in ("control", "treatment"):
        units = [u for u, (v, _) in post.items() if v == variant]
        got = stats(result, "m", variant)
        ys = [post[u][1] for u in units]
        xs = [pre[u][1] for u in units]
        assert got.n == len(units)
        assert close(got.sum, sum(ys))
        assert close(got.sum_squares, sum(y * y for y in ys))
        assert close(got.covariate_sum, sum(xs))
        assert close(got.covariate_sum_squares, sum(x * x for x in xs))
        assert close(got.cross_sum, sum(x * y for x, y in zip(xs, ys, strict=True)))


def test_units_in_two_variants_are_left_out_and_counted(con: Source) -> None:
    metrics = parse_metrics([{"key": "visits", "event": "visit"}])
    result = analyse(con, experiment="checkout", metrics=metrics)
    assert result.diagnostics.units_in_several_variants == 1
    assert dict(result.units) == {"control": 149, "treatment": 150}
    assert result.diagnostics.exposed_units == 300


def test_ratio_metric_has_denominator_sums_and_cross_products(con: Source, data: Data) -> None:
    metrics = parse_metrics(
        [
            {
                "key": "spend-per-visit",
                "kind": "ratio",
                "numerator": {"event": "purchase", "aggregation": "sum"},
                "denominator": {"event": "visit"},
                "cuped_lookback_hours": None,
            }
        ]
    )
    got = stats(analyse(con, experiment="checkout", metrics=metrics), "spend-per-visit", "control")
    num = per_unit(data, event="purchase", aggregation="sum", start_h=0, end_h=None)
    den = per_unit(data, event="visit", aggregation="count", start_h=0, end_h=None)
    units = [u for u, (v, _) in num.items() if v == "control"]
    assert close(got.den_sum, sum(den[u][1] for u in units))
    assert close(got.num_den_sum_product, sum(num[u][1] * den[u][1] for u in units))
    assert got.covariate_sum is None


@pytest.mark.parametrize(
    ("cap", "expected_max"),
    [
        pytest.param({"absolute": 50.0}, 50.0, id="absolute"),
        pytest.param({"percentile": 0.5}, None, id="percentile"),
    ],
)
def test_capping_limits_each_units_value(
    con: Source, data: Data, cap: dict[str, float], expected_max: float | None
) -> None:
    metrics = parse_metrics(
        [{"key": "spend", "event": "purchase", "aggregation": "sum", "cap": cap}]
    )
    result = analyse(con, experiment="checkout", metrics=metrics)
    raw = per_unit(data, event="purchase", aggregation="sum", start_h=0, end_h=None)
    values = sorted(v for _, v in raw.values())
    limit = expected_max if expected_max is not None else _median(values)
    for variant in ("control", "treatment"):
        ys = [min(y, limit) for v, y in raw.values() if v == variant]
        assert close(stats(result, "spend", variant).sum, sum(ys))


def _median(values: list[float]) -> float:
    n = len(values)
    return (values[(n - 1) // 2] + values[n // 2]) / 2


def test_quantile_metric_brackets_its_estimate(con: Source, data: Data) -> None:
    metrics = parse_metrics(
        [
            {
                "key": "p50",
                "kind": "quantile",
                "quantile": 0.5,
                "event": "purchase",
                "aggregation": "max",
            }
        ]
    )
    result = analyse(con, experiment="checkout", metrics=metrics)
    raw = per_unit(data, event="purchase", aggregation="max", start_h=0, end_h=None)
    for q in result.quantiles:
        ys = sorted(y for v, y in raw.values() if v == q.variant)
        assert q.n == len(ys)
        assert close(q.estimate, _median(ys))
        assert close(q.lower, ys[q.lower_rank - 1])
        assert close(q.upper, ys[q.upper_rank - 1])
        assert q.lower is not None
        assert q.upper is not None
        assert q.lower <= (q.estimate or 0) <= q.upper
    assert result.metrics == ()


def test_an_experiment_without_exposures_has_no_variants(con: Source) -> None:
    metrics = parse_metrics([{"key": "visits", "event": "visit"}])
    result = analyse(con, experiment="nobody-saw-it", metrics=metrics)
    assert (result.units, result.metrics) == ((), ())


def test_events_after_until_are_ignored(con: Source, data: Data) -> None:
    metrics = parse_metrics([{"key": "visits", "event": "visit", "cuped_lookback_hours": None}])
    early = analyse(con, experiment="checkout", metrics=metrics, until=START + timedelta(days=3))
    full = analyse(con, experiment="checkout", metrics=metrics)
    assert sum(s.sum for s in early.metrics) < sum(s.sum for s in full.metrics)
