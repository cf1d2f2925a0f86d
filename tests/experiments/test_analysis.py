"""The analysis of sufficient statistics: numbers, degenerate data and the recommendation rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.experiments.analysis import (
    ResultRow,
    Settings,
    analyse_stats,
    metric_roles,
    recommend,
)
from orgloop.experiments.metrics import Metric, parse_metrics
from orgloop.experiments.queries import Analysis, Diagnostics, MetricStats, QuantileStats
from orgloop.stats import QuantileEstimate, SampleStats, quantile_test, welch_test

REVENUE = parse_metrics([{"key": "revenue", "event": "purchase", "aggregation": "sum"}])[0]
ERRORS = parse_metrics(
    [{"key": "errors", "event": "error", "direction": "decrease", "guardrail": True}]
)[0]


def stats(metric: str, variant: str, values: list[float]) -> MetricStats:
    s = SampleStats.from_values(values)
    return MetricStats(metric=metric, variant=variant, n=s.n, sum=s.sum, sum_squares=s.sum_squares)


def analysis(*rows: MetricStats) -> Analysis:
    units = {r.variant: r.n for r in rows}
    return Analysis(
        experiment="checkout-redesign",
        units=tuple(sorted(units.items())),
        metrics=rows,
        quantiles=(),
        diagnostics=Diagnostics(exposed_units=sum(units.values()), units_in_several_variants=0),
    )


def test_mean_metric_matches_welch_relative_lift() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0] * 20, [2.0, 3.0, 4.0, 5.0, 7.0] * 20
    report = analyse_stats(
        analysis(stats("revenue", "control", a), stats("revenue", "treatment", b)),
        [REVENUE],
        Settings(control="control", cuped=False),
    )
    expected = welch_test(SampleStats.from_values(a), SampleStats.from_values(b), relative=True)
    (row,) = report.rows
    assert row.lift == pytest.approx(expected.lift)
    assert row.lift_ci_low == pytest.approx(expected.ci_low)
    assert row.p_value == pytest.approx(expected.p_value)
    assert (row.units, row.control_units, row.status) == (100, 100, "ok")
    assert report.recommendation == "ship"


def test_variant_without_units_gets_a_code_not_a_crash() -> None:
    report = analyse_stats(
        analysis(stats("revenue", "control", [1.0, 2.0, 3.0])),
        [REVENUE],
        Settings(control="control", weights={"control": 0.5, "treatment": 0.5}),
    )
    (row,) = report.rows
    assert (row.variant, row.units, row.status, row.lift) == ("treatment", 0, "no_units", None)
    assert report.recommendation == "investigate"


def test_zero_variance_gets_a_code() -> None:
    report = analyse_stats(
        analysis(
            stats("revenue", "control", [2.0] * 10), stats("revenue", "treatment", [2.0] * 10)
        ),
        [REVENUE],
        Settings(control="control", cuped=False),
    )
    assert report.rows[0].status == "zero_variance"
    assert report.recommendation == "investigate"


def test_sample_ratio_mismatch_means_investigate() -> None:
    report = analyse_stats(
        analysis(
            stats("revenue", "control", [1.0, 2.0] * 500),
            stats("revenue", "treatment", [1.0, 3.0] * 300),
        ),
        [REVENUE],
        Settings(control="control"),
    )
    assert report.srm_p_value is not None
    assert report.srm_p_value < 0.001
    assert report.recommendation == "investigate"


def test_guardrail_worse_in_its_direction_means_kill() -> None:
    report = analyse_stats(
        analysis(
            stats("revenue", "control", [1.0, 2.0] * 100),
            stats("revenue", "treatment", [1.0, 3.0] * 100),
            stats("errors", "control", [0.0, 1.0] * 100),
            stats("errors", "treatment", [1.0, 2.0] * 100),
        ),
        [REVENUE, ERRORS],
        Settings(control="control"),
    )
    guardrail = next(r for r in report.rows if r.metric == "errors")
    assert guardrail.role == "guardrail"
    assert guardrail.chance_to_win is not None
    assert guardrail.chance_to_win < 0.01  # more errors is worse
    assert guardrail.verdict == "worse"
    assert report.recommendation == "kill"
    assert "errors" in report.reason


def row(role: str = "primary", verdict: str = "inconclusive", status: str = "ok") -> ResultRow:
    return ResultRow(
        metric="m",
        role=role,  # type: ignore[arg-type]
        variant="treatment",
        units=10,
        control_units=10,
        mean=1.0,
        control_mean=1.0,
        lift=0.0,
        lift_ci_low=-0.1,
        lift_ci_high=0.1,
        p_value=0.5,
        adjusted_p_value=0.5,
        chance_to_win=0.5,
        cuped_variance_reduction=None,
        verdict=verdict,  # type: ignore[arg-type]
        status=status,
    )


@pytest.mark.parametrize(
    ("rows", "srm", "expected"),
    [
        pytest.param([row(verdict="better")], False, "ship", id="primary-better"),
        pytest.param([row(verdict="worse")], False, "kill", id="primary-worse"),
        pytest.param([row()], False, "keep-going", id="nothing-yet"),
        pytest.param([row(verdict="better")], True, "investigate", id="srm"),
        pytest.param(
            [row(verdict="better"), row("guardrail", "worse")], False, "kill", id="guardrail"
        ),
        pytest.param([row(status="no_units")], False, "investigate", id="unusable"),
    ],
)
def test_recommendation_rule(rows: list[ResultRow], srm: bool, expected: str) -> None:
    assert recommend(rows, srm_mismatch=srm)[0] == expected


def test_first_non_guardrail_metric_is_primary_by_default() -> None:
    assert metric_roles([ERRORS, REVENUE], {}) == {"errors": "guardrail", "revenue": "primary"}


def three_metrics() -> list[Metric]:
    return parse_metrics([{"key": k, "event": k, "aggregation": "sum"} for k in ("a", "b", "c")])


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_correction_never_lowers_p_values(correction: str) -> None:
    rows = []
    for i, key in enumerate(("a", "b", "c")):
        rows += [
            stats(key, "control", [1.0, 2.0, 3.0] * 30),
            stats(key, "treatment", [1.0, 2.0, 3.0 + i / 2] * 30),
        ]
    report = analyse_stats(
        analysis(*rows),
        three_metrics(),
        Settings(control="control", correction=correction),  # type: ignore[arg-type]
    )
    for r in report.rows:
        assert r.p_value is not None
        assert r.adjusted_p_value is not None
        assert r.adjusted_p_value >= r.p_value


@pytest.mark.parametrize("method", ["bayesian", "sequential"])
def test_other_methods_give_intervals_and_chance_to_win(method: str) -> None:
    a, b = [1.0, 2.0, 3.0, 4.0] * 50, [1.5, 2.5, 3.5, 4.5] * 50
    settings = Settings(control="control", method=method)  # type: ignore[arg-type]
    fixed = analyse_stats(
        analysis(stats("revenue", "control", a), stats("revenue", "treatment", b)),
        [REVENUE],
        Settings(control="control"),
    ).rows[0]
    (r,) = analyse_stats(
        analysis(stats("revenue", "control", a), stats("revenue", "treatment", b)),
        [REVENUE],
        settings,
    ).rows
    assert r.status == "ok"
    assert r.chance_to_win is not None
    assert r.chance_to_win > 0.9
    assert r.lift_ci_low is not None
    assert r.lift_ci_high is not None
    assert fixed.lift_ci_low is not None
    if method == "bayesian":
        assert r.p_value is None
    else:  # an always-valid interval is wider than the fixed-horizon one
        assert r.lift_ci_low < fixed.lift_ci_low


values = st.lists(st.floats(0, 100, allow_nan=False), min_size=0, max_size=30)


@given(a=values, b=values)
def test_any_data_gives_a_row_with_finite_numbers_or_a_code(a: list[float], b: list[float]) -> None:
    rows = [stats("revenue", "control", a), stats("revenue", "treatment", b)]
    settings = Settings("control", weights={"control": 1, "treatment": 1})
    report = analyse_stats(analysis(*[r for r in rows if r.n]), [REVENUE], settings)
    (r,) = report.rows
    numbers = [r.lift, r.lift_ci_low, r.lift_ci_high, r.p_value, r.chance_to_win]
    if r.status == "ok":
        assert all(x is not None and math.isfinite(x) for x in numbers)
    else:
        assert r.lift is None
        assert r.verdict == "inconclusive"
    assert report.recommendation in ("ship", "kill", "keep-going", "investigate")


def test_ratio_without_denominator_gets_a_code() -> None:
    metric = parse_metrics(
        [
            {
                "key": "revenue-per-view",
                "kind": "ratio",
                "numerator": {"event": "purchase", "aggregation": "sum"},
                "denominator": {"event": "page_view"},
            }
        ]
    )[0]

    def ratio(variant: str) -> MetricStats:
        return MetricStats(
            metric=metric.key,
            variant=variant,
            n=10,
            sum=0.0,
            sum_squares=0.0,
            den_sum=0.0,
            den_sum_squares=0.0,
            num_den_sum_product=0.0,
        )

    report = analyse_stats(
        analysis(ratio("control"), ratio("treatment")), [metric], Settings("control", cuped=False)
    )
    assert report.rows[0].status == "zero_denominator"


P90 = parse_metrics(
    [
        {
            "key": "checkout-seconds-p90",
            "kind": "quantile",
            "quantile": 0.9,
            "event": "checkout_seconds",
            "aggregation": "sum",
            "direction": "decrease",
        }
    ]
)[0]


def quantile_analysis(control: QuantileStats, treatment: QuantileStats) -> Analysis:
    return Analysis(
        experiment="checkout-redesign",
        units=(("control", control.n), ("treatment", treatment.n)),
        metrics=(),
        quantiles=(control, treatment),
        diagnostics=Diagnostics(exposed_units=control.n + treatment.n, units_in_several_variants=0),
    )


def p90(variant: str, estimate: float, lower: float | None, upper: float | None) -> QuantileStats:
    return QuantileStats(
        metric="checkout-seconds-p90", variant=variant, n=2000, quantile=0.9,
        estimate=estimate, lower=lower, upper=upper, lower_rank=1774, upper_rank=1827,
    )  # fmt: skip


def test_a_quantile_metric_is_tested_and_lower_is_better_when_it_should_decrease() -> None:
    report = analyse_stats(
        quantile_analysis(p90("control", 100.0, 96.0, 104.0), p90("treatment", 80.0, 77.0, 83.0)),
        [P90],
        Settings(control="control"),
    )
    (row,) = report.rows
    expected = quantile_test(
        QuantileEstimate(100.0, 96.0, 104.0, 0.95, 2000),
        QuantileEstimate(80.0, 77.0, 83.0, 0.95, 2000),
        relative=True,
    )
    assert (row.mean, row.control_mean, row.status) == (80.0, 100.0, "ok")
    assert row.lift == pytest.approx(-0.2)
    assert row.p_value == pytest.approx(expected.p_value)
    assert row.chance_to_win is not None
    assert row.chance_to_win > 0.99  # the p90 went down, as wanted
    assert (row.verdict, report.recommendation) == ("better", "ship")


def test_a_quantile_without_an_interval_or_under_the_sequential_method_is_only_described() -> None:
    few = analyse_stats(
        quantile_analysis(p90("control", 100.0, None, None), p90("treatment", 80.0, 70.0, 90.0)),
        [P90],
        Settings(control="control"),
    )
    assert (few.rows[0].status, few.rows[0].lift, few.rows[0].p_value) == (
        "insufficient_units",
        pytest.approx(-0.2),
        None,
    )
    sequential = analyse_stats(
        quantile_analysis(p90("control", 100.0, 96.0, 104.0), p90("treatment", 80.0, 77.0, 83.0)),
        [P90],
        Settings(control="control", method="sequential"),
    )
    assert (sequential.rows[0].status, sequential.rows[0].p_value) == ("descriptive", None)
    assert "fixed-horizon and Bayesian" in (sequential.rows[0].message or "")
