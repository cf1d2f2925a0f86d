"""Power, sample size and MDE for means and proportions, against statsmodels."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, tt_ind_solve_power  # type: ignore[import-untyped]

from orgloop.stats import (
    StatsError,
    mde_mean,
    mde_proportion,
    power_mean,
    power_proportion,
    sample_size_mean,
    sample_size_proportion,
)

CASES = [(10.0, 5.0, 0.05), (100.0, 80.0, 0.02), (3.0, 1.0, -0.1)]


@pytest.mark.parametrize(("mean", "std", "effect"), CASES, ids=["cv0.5", "cv0.8", "negative"])
def test_sample_size_for_means_matches_statsmodels(mean: float, std: float, effect: float) -> None:
    ours = sample_size_mean(mean=mean, std=std, relative_effect=effect)
    size = abs(mean * effect) / std
    assert ours == math.ceil(NormalIndPower().solve_power(effect_size=size, alpha=0.05, power=0.8))
    # the t-based solver differs only by the t-versus-normal correction, about one unit
    assert abs(ours - tt_ind_solve_power(effect_size=size, alpha=0.05, power=0.8)) < 2


@pytest.mark.parametrize(
    ("baseline", "effect"),
    [(0.1, 0.1), (0.02, 0.05), (0.5, -0.04)],
    ids=["10pct", "2pct", "half-down"],
)
def test_sample_size_for_proportions_matches_statsmodels(baseline: float, effect: float) -> None:
    treated = baseline * (1 + effect)
    spread = math.sqrt((baseline * (1 - baseline) + treated * (1 - treated)) / 2)
    expected = NormalIndPower().solve_power(
        effect_size=abs(treated - baseline) / spread, alpha=0.05, power=0.8
    )
    assert sample_size_proportion(baseline=baseline, relative_effect=effect) == math.ceil(expected)


def test_power_mde_and_sample_size_are_consistent() -> None:
    n = sample_size_mean(mean=10, std=5, relative_effect=0.05, power=0.9)
    assert power_mean(n_per_variant=n, mean=10, std=5, relative_effect=0.05) >= 0.9
    assert power_mean(n_per_variant=n - 1, mean=10, std=5, relative_effect=0.05) < 0.9
    assert mde_mean(n_per_variant=n, mean=10, std=5, power=0.9) == pytest.approx(0.05, rel=1e-3)
    m = sample_size_proportion(baseline=0.2, relative_effect=0.05)
    assert power_proportion(n_per_variant=m, baseline=0.2, relative_effect=0.05) >= 0.8
    assert mde_proportion(n_per_variant=m, baseline=0.2) == pytest.approx(0.05, rel=1e-3)


def test_mde_is_nan_when_nothing_is_detectable() -> None:
    assert math.isnan(mde_proportion(n_per_variant=2, baseline=0.5, power=0.99))


@pytest.mark.parametrize(
    ("kwargs", "remedy"),
    [
        ({"baseline": 1.2, "relative_effect": 0.1}, "conversion rate"),
        ({"baseline": 0.6, "relative_effect": 1.0}, "valid rate"),
        ({"baseline": 0.1, "relative_effect": 0.0}, "e.g. 0.02"),
        ({"baseline": 0.1, "relative_effect": 0.1, "power": 1.0}, "power=0.8"),
    ],
    ids=["baseline-above-one", "rate-above-one", "zero-effect", "power-one"],
)
def test_invalid_plans_raise_with_a_remedy(kwargs: dict[str, float], remedy: str) -> None:
    with pytest.raises(StatsError, match=remedy):
        sample_size_proportion(**kwargs)
