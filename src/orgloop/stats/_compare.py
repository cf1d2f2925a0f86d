"""The arithmetic every frequentist test shares once each arm is reduced to a mean and its variance.

An ``Arm`` is a point estimate, the variance of that estimate, and the units behind it.  The
comparison of two arms (absolute or relative lift, delta method, Welch–Satterthwaite degrees of
freedom, p-value and interval) is the same for plain means, ratios and CUPED-adjusted means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from orgloop.stats.errors import ResultErrorCode, StatsError, check_alpha
from orgloop.stats.results import NAN, Alternative, Method, TestResult

_ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True, slots=True)
class Arm:
    """``mean`` of one variant, ``var_mean`` the variance of that mean, from ``n`` units."""

    mean: float
    var_mean: float
    n: int


@dataclass(frozen=True, slots=True)
class Effect:
    """A lift with its variance, before any reference distribution is chosen."""

    lift: float
    variance: float


def check_alternative(alternative: str) -> None:
    if alternative not in _ALTERNATIVES:
        raise StatsError(
            f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}",
            "pass alternative='two-sided' unless the direction was fixed before the test",
        )


def degenerate(a: Arm, b: Arm, *, relative: bool) -> ResultErrorCode | None:
    """The reason no comparison can be made, or None."""
    if a.n == 0 or b.n == 0:
        return "no_units"
    if a.n < 2 or b.n < 2:
        return "insufficient_units"
    if not (math.isfinite(a.mean) and math.isfinite(b.mean)):
        return "zero_denominator"  # only a ratio's mean can be undefined with units present
    if not a.var_mean + b.var_mean > 0:
        return "zero_variance"
    if not relative:
        return None
    if a.mean == 0:
        return "zero_control_mean"
    variance = effect(a, b, relative=True).variance
    if not math.isfinite(variance):
        return "zero_control_mean"  # so close to zero that the relative lift overflows
    if not variance > 0:
        return "zero_variance"  # e.g. a constant treatment of exactly zero
    return None


def effect(a: Arm, b: Arm, *, relative: bool) -> Effect:
    """Absolute difference, or relative lift with its delta-method variance."""
    if not relative:
        return Effect(lift=b.mean - a.mean, variance=a.var_mean + b.var_mean)
    # d(mb/ma)/dmb = 1/ma and d(mb/ma)/dma = -mb/ma^2, the arms being independent; divided
    # step by step so that a small control mean overflows to inf instead of dividing by 0.
    ratio = b.mean / a.mean
    scaled = ratio / a.mean
    variance = b.var_mean / a.mean / a.mean + a.var_mean * scaled * scaled
    return Effect(lift=ratio - 1.0, variance=variance)


def welch_dof(a: Arm, b: Arm) -> float:
    """Welch–Satterthwaite degrees of freedom of the (unscaled) difference of means.

    As in gbstats, the same degrees of freedom serve the relative lift.
    """
    # Written with shares of the total so that tiny variances do not underflow when squared.
    total = a.var_mean + b.var_mean
    share_a, share_b = a.var_mean / total, b.var_mean / total
    return 1.0 / (share_a**2 / (a.n - 1) + share_b**2 / (b.n - 1))


def cdf(x: float, dof: float | None) -> float:
    return float(special.ndtr(x) if dof is None else special.stdtr(dof, x))


def quantile(p: float, dof: float | None) -> float:
    return float(special.ndtri(p) if dof is None else special.stdtrit(dof, p))


def p_value(z: float, dof: float | None, alternative: Alternative) -> float:
    if alternative == "greater":
        return cdf(-z, dof)
    if alternative == "less":
        return cdf(z, dof)
    return min(1.0, 2.0 * cdf(-abs(z), dof))


def interval(
    lift: float, se: float, dof: float | None, alpha: float, alternative: Alternative
) -> tuple[float, float]:
    if alternative == "two-sided":
        width = quantile(1.0 - alpha / 2.0, dof) * se
        return lift - width, lift + width
    width = quantile(1.0 - alpha, dof) * se
    if alternative == "greater":
        return lift - width, math.inf
    return -math.inf, lift + width


def compare(
    a: Arm,
    b: Arm,
    *,
    relative: bool,
    alpha: float,
    alternative: Alternative,
    method: Method,
    normal: bool = False,
) -> TestResult:
    """Compare two arms with a t (Welch dof) or, when ``normal``, a z reference distribution."""
    check_alpha(alpha)
    check_alternative(alternative)
    code = degenerate(a, b, relative=relative)
    if code is not None:
        return empty_result(
            a, b, code, relative=relative, alpha=alpha, alternative=alternative, method=method
        )
    eff = effect(a, b, relative=relative)
    se = math.sqrt(eff.variance)
    dof = None if normal else welch_dof(a, b)
    low, high = interval(eff.lift, se, dof, alpha, alternative)
    return TestResult(
        lift=eff.lift,
        ci_low=low,
        ci_high=high,
        p_value=p_value(eff.lift / se, dof, alternative),
        se=se,
        dof=dof,
        relative=relative,
        alternative=alternative,
        alpha=alpha,
        method=method,
        control_mean=a.mean,
        treatment_mean=b.mean,
    )


def empty_result(
    a: Arm,
    b: Arm,
    code: ResultErrorCode,
    *,
    relative: bool,
    alpha: float,
    alternative: Alternative,
    method: Method,
) -> TestResult:
    """The NaN-filled result that still tells which variant lacked what."""
    return TestResult(
        lift=NAN,
        ci_low=NAN,
        ci_high=NAN,
        p_value=NAN,
        se=NAN,
        dof=None,
        relative=relative,
        alternative=alternative,
        alpha=alpha,
        method=method,
        control_mean=a.mean,
        treatment_mean=b.mean,
        error_code=code,
    )
