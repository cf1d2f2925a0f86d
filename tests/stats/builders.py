"""Builders for the stats tests: sufficient statistics from seeded random data."""

from __future__ import annotations

import numpy as np

from orgloop.stats import SampleStats


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal_stats(
    generator: np.random.Generator, *, n: int, mean: float = 10.0, sd: float = 3.0
) -> tuple[SampleStats, np.ndarray]:
    values = generator.normal(mean, sd, n)
    return SampleStats.from_values(values), values


def conversions(n: int, converted: int) -> SampleStats:
    """A 0/1 metric: ``converted`` of ``n`` units."""
    return SampleStats(n=n, sum=float(converted), sum_squares=float(converted))
