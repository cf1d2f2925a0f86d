"""Simulated A/A experiments: false-positive rates with one look and with peeking.

Data are generated in one vectorised draw (seeded); sufficient statistics at each look are
cumulative sums, exactly as an upstream query would produce them day by day.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from orgloop.stats import SampleStats, TestResult, sequential_test, welch_test

ALPHA = 0.05
SIMULATIONS = 2000
PEEKS = 20
BATCH = 100  # units per variant between two looks
# Three binomial standard errors of a rate of alpha over the simulations.
TOLERANCE = 3 * np.sqrt(ALPHA * (1 - ALPHA) / SIMULATIONS)


Looks = tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def looks() -> Looks:
    """Cumulative (sum, sum of squares) per simulation, look and variant: shape (S, P, 2)."""
    gen = np.random.default_rng(2024)
    values = gen.normal(10.0, 3.0, size=(SIMULATIONS, PEEKS, 2, BATCH))
    sums = np.cumsum(values.sum(axis=3), axis=1)
    squares = np.cumsum((values * values).sum(axis=3), axis=1)
    return sums, squares


def _rejections(
    looks: Looks,
    test: Callable[[SampleStats, SampleStats], TestResult],
    peeks: range,
) -> np.ndarray:
    """Whether each simulation was (wrongly) declared significant at any of the given looks."""
    sums, squares = looks
    rejected = np.zeros(SIMULATIONS, dtype=bool)
    for sim in range(SIMULATIONS):
        for peek in peeks:
            n = (peek + 1) * BATCH
            a = SampleStats(
                n=n, sum=float(sums[sim, peek, 0]), sum_squares=float(squares[sim, peek, 0])
            )
            b = SampleStats(
                n=n, sum=float(sums[sim, peek, 1]), sum_squares=float(squares[sim, peek, 1])
            )
            if test(a, b).p_value < ALPHA:
                rejected[sim] = True
                break  # the experimenter stops at the first significant result
    return rejected


def test_fixed_horizon_welch_keeps_its_false_positive_rate_with_one_look(looks: Looks) -> None:
    rate = _rejections(looks, welch_test, range(PEEKS - 1, PEEKS)).mean()
    assert rate <= ALPHA + TOLERANCE


def test_peeking_breaks_the_naive_test_but_not_the_sequential_one(looks: Looks) -> None:
    naive = _rejections(looks, welch_test, range(PEEKS)).mean()
    always_valid = _rejections(looks, sequential_test, range(PEEKS)).mean()
    assert naive > ALPHA + TOLERANCE  # stopping at the first p < 0.05 inflates false positives
    assert always_valid <= ALPHA + TOLERANCE
