"""Sample ratio mismatch: golden value, scipy agreement, and input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from orgloop.stats import StatsError, srm_test


def test_600_against_400_on_a_50_50_split_is_a_mismatch() -> None:
    result = srm_test([600, 400])
    assert f"{result.p_value:.2e}" == "2.54e-10"
    assert result.mismatch
    assert result.expected == (500.0, 500.0)


def test_a_balanced_split_is_not_a_mismatch() -> None:
    assert not srm_test([5012, 4988]).mismatch


@pytest.mark.parametrize("seed", range(6), ids=lambda s: f"seed{s}")
def test_agrees_with_scipy_chisquare(seed: int) -> None:
    gen = np.random.default_rng(seed)
    k = int(gen.integers(2, 6))
    weights = gen.uniform(0.5, 3.0, k)
    counts = [
        int(c) for c in gen.multinomial(int(gen.integers(100, 10_000)), weights / weights.sum())
    ]
    ours = srm_test(counts, list(weights))
    theirs = sps.chisquare(counts, f_exp=np.array(weights) / weights.sum() * sum(counts))
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)
    assert ours.chi_square == pytest.approx(theirs.statistic, rel=1e-9)


def test_no_units_at_all_is_reported_not_raised() -> None:
    result = srm_test([0, 0])
    assert result.error_code == "no_units"
    assert math.isnan(result.p_value)
    assert not result.mismatch


@pytest.mark.parametrize(
    ("counts", "weights", "remedy"),
    [
        ([10], None, "one unit count per variant"),
        ([10, -1], None, "COUNT"),
        ([10, 12], [0.5, 0.0], "traffic split"),
        ([10, 12], [1.0], "traffic split"),
    ],
    ids=["one-variant", "negative-count", "zero-weight", "weights-length"],
)
def test_invalid_input_raises_with_a_remedy(
    counts: list[int], weights: list[float] | None, remedy: str
) -> None:
    with pytest.raises(StatsError, match=remedy):
        srm_test(counts, weights)
