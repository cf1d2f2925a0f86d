"""Welch, proportion and ratio tests: golden numbers, scipy agreement, properties, degenerate data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from orgloop.stats import (
    RatioStats,
    SampleStats,
    StatsError,
    proportion_test,
    ratio_test,
    welch_test,
)
from tests.stats.builders import conversions, normal_stats, rng

CONTROL = SampleStats(n=3407, sum=1396.87, sum_squares=52377.9767)
TREATMENT = SampleStats(n=3461, sum=2422.7, sum_squares=134698.29)


def test_relative_welch_matches_the_gbstats_golden_numbers() -> None:
    result = welch_test(CONTROL, TREATMENT, relative=True)
    assert round(result.lift, 5) == 0.70732
    assert round(result.se, 5) == 0.37879
    assert round(result.p_value, 5) == 0.06191
    assert result.error_code is None
    assert result.ci_low < 0 < result.ci_high  # not significant at 5%, so the interval spans 0


@pytest.mark.parametrize("seed", range(8), ids=lambda s: f"seed{s}")
def test_absolute_welch_agrees_with_scipy(seed: int) -> None:
    gen = rng(seed)
    a, xa = normal_stats(gen, n=int(gen.integers(5, 400)), mean=10, sd=float(gen.uniform(1, 5)))
    b, xb = normal_stats(gen, n=int(gen.integers(5, 400)), mean=10.5, sd=float(gen.uniform(1, 5)))
    ours = welch_test(a, b)
    theirs = sps.ttest_ind(xb, xa, equal_var=False)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)
    assert ours.lift / ours.se == pytest.approx(theirs.statistic, rel=1e-9)
    low, high = theirs.confidence_interval(0.95)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_welch_agrees_with_scipy(alternative: str) -> None:
    gen = rng(11)
    a, xa = normal_stats(gen, n=80)
    b, xb = normal_stats(gen, n=90, mean=10.6)
    ours = welch_test(a, b, alternative=alternative)  # type: ignore[arg-type]
    theirs = sps.ttest_ind(xb, xa, equal_var=False, alternative=alternative)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)
    assert math.isinf(ours.ci_high if alternative == "greater" else ours.ci_low)


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
arms = st.lists(finite, min_size=2, max_size=40).map(SampleStats.from_values)


@given(arms, arms, st.booleans())
def test_p_values_lie_in_the_unit_interval(a: SampleStats, b: SampleStats, relative: bool) -> None:
    p = welch_test(a, b, relative=relative).p_value
    assert math.isnan(p) or 0.0 <= p <= 1.0


@given(arms, arms)
def test_swapping_arms_negates_the_absolute_effect(a: SampleStats, b: SampleStats) -> None:
    forward, backward = welch_test(a, b), welch_test(b, a)
    if forward.error_code is None:
        assert backward.lift == pytest.approx(-forward.lift, abs=1e-9)
        assert backward.p_value == pytest.approx(forward.p_value, abs=1e-9)
    else:
        assert backward.error_code == forward.error_code


@pytest.mark.parametrize(
    ("a", "b", "relative", "code"),
    [
        (SampleStats(n=0, sum=0, sum_squares=0), CONTROL, False, "no_units"),
        (SampleStats(n=1, sum=2, sum_squares=4), CONTROL, False, "insufficient_units"),
        (
            SampleStats(n=3, sum=6, sum_squares=12),
            SampleStats(n=4, sum=4, sum_squares=4),
            False,
            "zero_variance",
        ),
        (SampleStats(n=3, sum=0, sum_squares=2), CONTROL, True, "zero_control_mean"),
    ],
    ids=["variant-without-units", "one-unit", "constant-values", "zero-baseline"],
)
def test_degenerate_data_returns_an_error_code_not_an_exception(
    a: SampleStats, b: SampleStats, relative: bool, code: str
) -> None:
    result = welch_test(a, b, relative=relative)
    assert result.error_code == code
    assert math.isnan(result.p_value)
    assert math.isnan(result.lift)
    assert not result.significant


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5], ids=str)
def test_alpha_outside_the_unit_interval_raises(alpha: float) -> None:
    with pytest.raises(StatsError, match=r"alpha=0\.05"):
        welch_test(CONTROL, TREATMENT, alpha=alpha)


def test_unknown_alternative_raises() -> None:
    with pytest.raises(StatsError, match="two-sided"):
        welch_test(CONTROL, TREATMENT, alternative="bigger")  # type: ignore[arg-type]


def test_proportion_z_test_matches_the_textbook_wald_test() -> None:
    a, b = conversions(1000, 100), conversions(1000, 130)
    result = proportion_test(a, b)
    se = math.sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000)
    assert result.lift == pytest.approx(0.03)
    assert result.se == pytest.approx(se)
    assert result.p_value == pytest.approx(2 * sps.norm.sf(0.03 / se))
    assert result.dof is None
    assert result.method == "z"


def test_proportion_test_refuses_a_non_binary_metric() -> None:
    with pytest.raises(StatsError, match="welch_test"):
        proportion_test(CONTROL, TREATMENT)


def test_proportions_with_no_conversions_anywhere_have_zero_variance() -> None:
    assert proportion_test(conversions(50, 0), conversions(50, 0)).error_code == "zero_variance"


def test_ratio_with_unit_denominators_equals_the_welch_test() -> None:
    gen = rng(2)
    xa, xb = gen.normal(3, 1, 150), gen.normal(3.2, 1, 170)
    ratio = ratio_test(
        RatioStats.from_values(xa, np.ones(150)),
        RatioStats.from_values(xb, np.ones(170)),
        relative=True,
    )
    plain = welch_test(SampleStats.from_values(xa), SampleStats.from_values(xb), relative=True)
    assert ratio.lift == pytest.approx(plain.lift)
    assert ratio.se == pytest.approx(plain.se)
    assert ratio.p_value == pytest.approx(plain.p_value)


def test_ratio_delta_method_standard_error_matches_the_spread_of_simulated_ratios() -> None:
    gen = rng(4)
    sessions = gen.poisson(3.0, size=(3000, 400)) + 1
    revenue = gen.gamma(2.0, 1.5, size=(3000, 400)) * sessions
    ratios = revenue.sum(axis=1) / sessions.sum(axis=1)
    arm = RatioStats.from_values(revenue[0], sessions[0])
    result = ratio_test(arm, arm)
    assert result.se / math.sqrt(2) == pytest.approx(ratios.std(ddof=1), rel=0.08)


def test_ratio_with_zero_denominator_reports_it() -> None:
    empty = RatioStats.from_values([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    full = RatioStats.from_values([1.0, 2.0, 4.0], [1.0, 1.0, 2.0])
    assert ratio_test(empty, full).error_code == "zero_denominator"
