"""Tests of a quantile (median, p90, ...) between two variants, from each one's order-statistic
interval.

A sample quantile has no sum to add up, but its distribution-free confidence interval does come
from two order statistics (ranks from the binomial distribution), which the database can find.
Asymptotically the quantile is normal, so that interval's width gives its standard error:
``se = (upper - lower) / (2 z)``, with ``z`` the normal quantile of the interval's confidence.
The comparison of two such estimates is then the usual one (absolute or relative lift, the
latter by the delta method, z reference distribution).  This is the "outer confidence interval"
method of Deng, Knoblich and Lu, *Applying the Delta Method in Metric Analytics* (KDD 2018): it
needs no density estimate and stays valid for skewed and heavy-tailed metrics, where a quantile
is most useful.  Units must be independent (they are: one value per unit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from orgloop.stats._compare import Arm, compare
from orgloop.stats.errors import StatsError, check_finite
from orgloop.stats.results import Alternative, TestResult


@dataclass(frozen=True, slots=True)
class QuantileEstimate:
    """One variant's sample quantile and the order statistics bounding it at ``confidence``."""

    estimate: float
    lower: float
    upper: float
    confidence: float
    n: int

    def __post_init__(self) -> None:
        for name in ("estimate", "lower", "upper"):
            check_finite(getattr(self, name), name=name)
        if not 0 < self.confidence < 1:
            raise StatsError(
                f"confidence must be between 0 and 1, got {self.confidence}",
                "pass the confidence the interval's ranks were chosen for, e.g. 0.95",
            )
        if not self.lower <= self.estimate <= self.upper:
            raise StatsError(
                f"the interval [{self.lower}, {self.upper}] does not contain the estimate "
                f"{self.estimate}",
                "pass the order statistics that bound the quantile (lower <= estimate <= upper)",
            )
        if self.n < 0:
            raise StatsError(f"n must not be negative, got {self.n}", "pass the unit count")


def quantile_arm(q: QuantileEstimate) -> Arm:
    """The estimate and the variance its interval implies."""
    z = float(special.ndtri(0.5 + q.confidence / 2))
    se = (q.upper - q.lower) / (2.0 * z)
    return Arm(mean=q.estimate, var_mean=se * se if q.n else math.nan, n=q.n)


def quantile_test(
    a: QuantileEstimate,
    b: QuantileEstimate,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """z-test of quantile ``b`` against quantile ``a`` (control first), variance from the
    order-statistic intervals."""
    return compare(
        quantile_arm(a),
        quantile_arm(b),
        relative=relative,
        alpha=alpha,
        alternative=alternative,
        method="quantile",
        normal=True,
    )
