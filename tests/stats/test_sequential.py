"""Always-valid inference: internal consistency and its relation to the fixed-horizon test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgloop.stats import RatioStats, SampleStats, StatsError, sequential_test, welch_test
from tests.stats.builders import normal_stats, rng


@pytest.mark.parametrize("seed", range(6), ids=lambda s: f"seed{s}")
def test_p_value_below_alpha_exactly_when_the_interval_excludes_zero(seed: int) -> None:
    gen = rng(seed)
    a, _ = normal_stats(gen, n=3000)
    b, _ = normal_stats(gen, n=3000, mean=10.0 + 0.1 * seed)
    result = sequential_test(a, b, relative=True)
    assert 0.0 <= result.p_value <= 1.0
    assert (result.p_value < 0.05) == (result.ci_low > 0 or result.ci_high < 0)


def test_sequential_is_more_cautious_than_a_single_look() -> None:
    gen = rng(9)
    a, _ = normal_stats(gen, n=2000)
    b, _ = normal_stats(gen, n=2000, mean=10.3)
    fixed, always = welch_test(a, b), sequential_test(a, b)
    assert always.lift == fixed.lift
    assert always.se == pytest.approx(fixed.se)
    assert always.p_value > fixed.p_value
    assert always.ci_low < fixed.ci_low
    assert always.ci_high > fixed.ci_high


def test_a_large_effect_is_still_detected() -> None:
    gen = rng(10)
    a, _ = normal_stats(gen, n=5000)
    b, _ = normal_stats(gen, n=5000, mean=10.5)
    assert sequential_test(a, b).significant


def test_ratio_metrics_are_supported() -> None:
    gen = rng(12)
    den_a, den_b = gen.poisson(3, 800) + 1, gen.poisson(3, 800) + 1
    a = RatioStats.from_values(gen.gamma(2, 1, 800) * den_a, den_a)
    b = RatioStats.from_values(gen.gamma(2, 1, 800) * den_b, den_b)
    result = sequential_test(a, b, relative=True)
    assert result.method == "sequential"
    assert result.error_code is None


def test_degenerate_data_has_an_error_code() -> None:
    result = sequential_test(SampleStats.from_values([1.0]), SampleStats.from_values([1.0, 2.0]))
    assert result.error_code == "insufficient_units"
    assert math.isnan(result.ci_low)


@pytest.mark.parametrize("tuning", [0, -5, math.inf], ids=["zero", "negative", "infinite"])
def test_tuning_must_be_a_positive_sample_size(tuning: float) -> None:
    a = SampleStats.from_values(np.arange(10.0))
    with pytest.raises(StatsError, match="tuning="):
        sequential_test(a, a, tuning=tuning)
