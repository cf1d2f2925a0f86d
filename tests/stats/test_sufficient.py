"""Sufficient statistics: exact sums, addition, and refusal of impossible inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.stats import RatioRegressionStats, RatioStats, RegressionStats, SampleStats, StatsError

# Integer-valued floats add exactly, so associativity can be checked with ==.
whole = st.integers(min_value=-1000, max_value=1000).map(float)
samples = st.lists(whole, min_size=0, max_size=30).map(SampleStats.from_values)
pairs = st.lists(st.tuples(whole, whole), max_size=20)


def test_mean_and_variance_match_numpy() -> None:
    values = np.random.default_rng(3).normal(5.0, 2.0, 200)
    stats = SampleStats.from_values(values)
    assert stats.mean == pytest.approx(values.mean())
    assert stats.variance == pytest.approx(values.var(ddof=1))


@pytest.mark.parametrize("n", [0, 1], ids=["empty", "single"])
def test_variance_is_nan_below_two_units(n: int) -> None:
    assert math.isnan(SampleStats.from_values([4.0] * n).variance)


@given(samples, samples, samples)
def test_adding_sample_stats_is_associative(a: SampleStats, b: SampleStats, c: SampleStats) -> None:
    assert (a + b) + c == a + (b + c)


@given(pairs, pairs, pairs)
def test_adding_regression_stats_is_associative(
    a: list[tuple[float, float]], b: list[tuple[float, float]], c: list[tuple[float, float]]
) -> None:
    def build(rows: list[tuple[float, float]]) -> RegressionStats:
        return RegressionStats.from_values([r[0] for r in rows], [r[1] for r in rows])

    x, y, z = build(a), build(b), build(c)
    assert (x + y) + z == x + (y + z)


def test_adding_equals_aggregating_the_union() -> None:
    gen = np.random.default_rng(5)
    num, den = gen.poisson(4, 100).astype(float), gen.poisson(2, 100).astype(float) + 1
    whole_stats = RatioStats.from_values(num, den)
    assert (
        RatioStats.from_values(num[:30], den[:30]) + RatioStats.from_values(num[30:], den[30:])
        == whole_stats
    )


def test_ratio_regression_stats_split_into_metric_and_covariate() -> None:
    stats = RatioRegressionStats.from_values([1, 2], [1, 1], [3, 4], [2, 2])
    assert stats.ratio == RatioStats.from_values([1, 2], [1, 1])
    assert stats.pre_ratio == RatioStats.from_values([3, 4], [2, 2])


def test_adding_different_kinds_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = SampleStats.from_values([1.0]) + RegressionStats.from_values([1.0], [1.0])  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "remedy"),
    [
        ({"n": -1, "sum": 0.0, "sum_squares": 0.0}, "number of units"),
        ({"n": 10, "sum": 100.0, "sum_squares": 10.0}, "same rows"),
        ({"n": 0, "sum": 3.0, "sum_squares": 9.0}, "same rows"),
        ({"n": 2.5, "sum": 3.0, "sum_squares": 9.0}, "COUNT"),
        ({"n": 3, "sum": math.nan, "sum_squares": 9.0}, "NULLs"),
    ],
    ids=["negative-n", "squares-too-small", "sums-without-units", "fractional-n", "nan-sum"],
)
def test_impossible_sums_raise_with_a_remedy(kwargs: dict[str, float], remedy: str) -> None:
    with pytest.raises(StatsError, match=remedy):
        SampleStats(**kwargs)  # type: ignore[arg-type]


def test_stats_error_is_a_value_error() -> None:
    assert issubclass(StatsError, ValueError)
