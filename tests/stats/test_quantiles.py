"""Quantile tests from order-statistic intervals: the standard error matches the asymptotic one,
A/A experiments keep the false-positive rate at alpha, real differences are found, and bad
input is refused."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from orgloop.stats import QuantileEstimate, StatsError, quantile_test
from tests.stats.builders import rng

CONFIDENCE = 0.95


def estimate(values: np.ndarray, q: float, confidence: float = CONFIDENCE) -> QuantileEstimate:
    """What the analysis query computes: the quantile and the order statistics of the binomial
    ranks that bound it (normal approximation)."""
    n = len(values)
    ordered = np.sort(values)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * math.sqrt(n * q * (1 - q))
    low, high = round(n * q - spread), round(n * q + 1 + spread)
    return QuantileEstimate(
        estimate=float(np.quantile(values, q)),
        lower=float(ordered[low - 1]),
        upper=float(ordered[high - 1]),
        confidence=confidence,
        n=n,
    )


def test_the_standard_error_of_a_median_is_the_asymptotic_one() -> None:
    # For N(0, 1) the median's standard error is sqrt(q(1-q)/n) / pdf(0) = 1.2533 / sqrt(n).
    values = rng(3).normal(0, 1, 40_000)
    one = estimate(values, 0.5)
    result = quantile_test(one, one)
    expected = math.sqrt(0.25 / 40_000) / NormalDist().pdf(0) * math.sqrt(2)
    assert result.se == pytest.approx(expected, rel=0.1)


def test_a_p90_difference_in_a_skewed_metric_is_found_with_the_right_lift() -> None:
    gen = rng(5)
    control = gen.lognormal(0, 1, 20_000)
    treatment = gen.lognormal(0, 1, 20_000) * 0.8  # every value 20% lower: p90 20% lower too
    result = quantile_test(
        estimate(control, 0.9), estimate(treatment, 0.9), relative=True, alpha=0.05
    )
    assert result.p_value < 1e-6
    assert result.ci_low < -0.2 < result.ci_high
    assert result.lift == pytest.approx(-0.2, abs=0.04)
    assert result.method == "quantile"


def test_aa_experiments_keep_the_false_positive_rate_at_alpha() -> None:
    gen = rng(11)
    runs, positives = 1_000, 0
    for _ in range(runs):
        a, b = gen.exponential(1.0, 600), gen.exponential(1.0, 600)
        result = quantile_test(estimate(a, 0.75), estimate(b, 0.75), relative=True)
        positives += result.p_value < 0.05
    # 1,000 runs: the rate's standard error at 5% is 0.7 points.
    assert 0.025 <= positives / runs <= 0.07


def test_no_spread_and_no_units_are_result_codes_not_exceptions() -> None:
    flat = QuantileEstimate(estimate=3.0, lower=3.0, upper=3.0, confidence=CONFIDENCE, n=50)
    assert quantile_test(flat, flat).error_code == "zero_variance"
    empty = QuantileEstimate(estimate=3.0, lower=3.0, upper=3.0, confidence=CONFIDENCE, n=0)
    assert quantile_test(empty, flat).error_code == "no_units"
    zero = QuantileEstimate(estimate=0.0, lower=-1.0, upper=1.0, confidence=CONFIDENCE, n=50)
    assert quantile_test(zero, flat, relative=True).error_code == "zero_control_mean"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lower": 5.0}, "does not contain the estimate"),
        ({"confidence": 1.0}, "confidence must be between 0 and 1"),
        ({"estimate": math.nan}, "estimate must be a finite number"),
        ({"n": -1}, "n must not be negative"),
    ],
)
def test_an_impossible_estimate_is_refused_with_the_reason(
    fields: dict[str, float], message: str
) -> None:
    good = {"estimate": 2.0, "lower": 1.0, "upper": 3.0, "confidence": 0.95, "n": 10}
    with pytest.raises(StatsError, match=message):
        QuantileEstimate(**(good | fields))  # type: ignore[arg-type]
