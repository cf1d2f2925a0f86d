"""Fixed-horizon frequentist tests: Welch t-test, two-proportion z-test, ratio metrics (delta method).

Every function takes the control (``a``) first and the treatment (``b``) second, and reports the
lift of ``b`` over ``a``: absolute ``mean_b - mean_a`` or, with ``relative=True``,
``(mean_b - mean_a) / mean_a`` with its standard error from the delta method.  These p-values
are valid only when read once, at a sample size fixed in advance; use ``sequential`` to peek.
"""

from __future__ import annotations

import math

from orgloop.stats._compare import Arm, compare
from orgloop.stats.errors import StatsError
from orgloop.stats.results import Alternative, TestResult
from orgloop.stats.sufficient import RatioStats, SampleStats, centred


def mean_arm(stats: SampleStats) -> Arm:
    """The mean of one variant and the variance of that mean."""
    return Arm(
        mean=stats.mean, var_mean=stats.variance / stats.n if stats.n else math.nan, n=stats.n
    )


def welch_test(
    a: SampleStats,
    b: SampleStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Welch's unequal-variance t-test of ``mean_b`` against ``mean_a``."""
    return compare(
        mean_arm(a),
        mean_arm(b),
        relative=relative,
        alpha=alpha,
        alternative=alternative,
        method="welch",
    )


def _proportion_arm(stats: SampleStats) -> Arm:
    tolerance = 1e-9 * max(1.0, abs(stats.sum))
    if abs(stats.sum_squares - stats.sum) > tolerance or not -tolerance <= stats.sum <= stats.n:
        raise StatsError(
            "a proportion needs 0/1 values: sum_squares == sum and 0 <= sum <= n",
            "use welch_test for a metric that is not a 0/1 conversion",
        )
    p = stats.sum / stats.n if stats.n else math.nan
    # The unpooled Bernoulli variance keeps the test and its interval consistent.
    return Arm(mean=p, var_mean=p * (1.0 - p) / stats.n if stats.n else math.nan, n=stats.n)


def proportion_test(
    a: SampleStats,
    b: SampleStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Two-proportion z-test (Wald, unpooled variance) for conversion metrics."""
    return compare(
        _proportion_arm(a),
        _proportion_arm(b),
        relative=relative,
        alpha=alpha,
        alternative=alternative,
        method="z",
        normal=True,
    )


def ratio_arm(stats: RatioStats) -> Arm:
    """``Σnum / Σden`` with its delta-method variance (units are independent, not events)."""
    n = stats.n
    if n < 2 or stats.den_sum == 0:
        return Arm(
            mean=stats.num_sum / stats.den_sum if stats.den_sum else math.nan,
            var_mean=math.nan,
            n=n,
        )
    y, d = stats.num_sum / n, stats.den_sum / n
    var_y = centred(n, stats.num_sum, stats.num_sum, stats.num_sum_squares) / (n - 1)
    var_d = centred(n, stats.den_sum, stats.den_sum, stats.den_sum_squares) / (n - 1)
    cov = centred(n, stats.num_sum, stats.den_sum, stats.num_den_sum_product) / (n - 1)
    var_unit = var_y / d**2 - 2.0 * y * cov / d**3 + y**2 * var_d / d**4
    return Arm(mean=y / d, var_mean=max(var_unit, 0.0) / n, n=n)


def ratio_test(
    a: RatioStats,
    b: RatioStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Welch-style test of a ratio metric (e.g. revenue per session), variance by delta method."""
    arm_a, arm_b = ratio_arm(a), ratio_arm(b)
    return compare(
        arm_a, arm_b, relative=relative, alpha=alpha, alternative=alternative, method="delta"
    )
