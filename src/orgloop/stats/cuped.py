"""CUPED: variance reduction with a pre-exposure covariate and one theta pooled across variants.

Each variant's metric is adjusted as ``m' = m - theta * (c - c_pooled)``, where ``c`` is the same
metric (or any pre-exposure covariate) measured before the unit was exposed and ``c_pooled`` its
value over all variants.  ``theta`` is the within-variant pooled slope
``Σ_v cov_v(m, c) (n_v - 1) / Σ_v var_v(c) (n_v - 1)``, i.e. the covariate's coefficient in the
regression ``y ~ 1 + variant + x``; one theta for all variants keeps the adjustment from leaking
the treatment effect into the estimate.  Ratio metrics are linearised with the delta method first.

Reference: Deng, Xu, Kohavi, Walker, "Improving the Sensitivity of Online Controlled Experiments
by Utilizing Pre-Experiment Data", WSDM 2013.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from orgloop.stats._compare import Arm, compare
from orgloop.stats.frequentist import ratio_arm, ratio_test, welch_test
from orgloop.stats.results import NAN, Alternative, CupedResult, Method, TestResult
from orgloop.stats.sufficient import RatioRegressionStats, RegressionStats, centred


@dataclass(frozen=True, slots=True)
class _Linear:
    """One variant's metric and covariate estimates with per-unit (co)variances."""

    n: int
    metric: float
    covariate: float
    var_metric: float
    var_covariate: float
    cov: float


def _mean_linear(s: RegressionStats) -> _Linear:
    n = s.n
    return _Linear(
        n=n,
        metric=s.y_sum / n,
        covariate=s.x_sum / n,
        var_metric=centred(n, s.y_sum, s.y_sum, s.y_sum_squares) / (n - 1),
        var_covariate=centred(n, s.x_sum, s.x_sum, s.x_sum_squares) / (n - 1),
        cov=centred(n, s.y_sum, s.x_sum, s.xy_sum) / (n - 1),
    )


def _ratio_linear(s: RatioRegressionStats) -> _Linear:
    n = s.n
    sums = np.array([s.num_sum, s.den_sum, s.pre_num_sum, s.pre_den_sum])
    products = np.array(
        [
            [
                s.num_sum_squares,
                s.num_den_sum_product,
                s.num_pre_num_sum_product,
                s.num_pre_den_sum_product,
            ],
            [
                s.num_den_sum_product,
                s.den_sum_squares,
                s.den_pre_num_sum_product,
                s.den_pre_den_sum_product,
            ],
            [
                s.num_pre_num_sum_product,
                s.den_pre_num_sum_product,
                s.pre_num_sum_squares,
                s.pre_num_pre_den_sum_product,
            ],
            [
                s.num_pre_den_sum_product,
                s.den_pre_den_sum_product,
                s.pre_num_pre_den_sum_product,
                s.pre_den_sum_squares,
            ],
        ]
    )
    mu = sums / n
    cov: npt.NDArray[np.float64] = (products - np.outer(sums, sums) / n) / (n - 1)
    y, d, x, e = mu
    # Gradients of num/den and pre_num/pre_den with respect to the four means.
    g = np.array([1.0 / d, -y / d**2, 0.0, 0.0])
    k = np.array([0.0, 0.0, 1.0 / e, -x / e**2])
    return _Linear(
        n=n,
        metric=float(y / d),
        covariate=float(x / e),
        var_metric=float(g @ cov @ g),
        var_covariate=float(k @ cov @ k),
        cov=float(g @ cov @ k),
    )


def _without_covariate(s: RatioRegressionStats) -> _Linear:
    arm = ratio_arm(s.ratio)
    return _Linear(
        n=s.n,
        metric=arm.mean,
        covariate=0.0,
        var_metric=arm.var_mean * s.n,
        var_covariate=0.0,
        cov=0.0,
    )


def pooled_theta(arms: tuple[_Linear, ...]) -> float:
    """Within-variant pooled slope of metric on covariate; 0 when the covariate is constant."""
    var_c = sum((arm.n - 1) * arm.var_covariate for arm in arms)
    if not var_c > 0:
        return 0.0
    return sum((arm.n - 1) * arm.cov for arm in arms) / var_c


def _adjusted(arm: _Linear, theta: float, pooled_covariate: float) -> Arm:
    var_unit = arm.var_metric - 2.0 * theta * arm.cov + theta**2 * arm.var_covariate
    return Arm(
        mean=arm.metric - theta * (arm.covariate - pooled_covariate),
        var_mean=max(var_unit, 0.0) / arm.n,
        n=arm.n,
    )


def _finish(
    unadjusted: TestResult,
    a: _Linear,
    b: _Linear,
    pooled_covariate: float,
    method: Method,
) -> CupedResult:
    theta = pooled_theta((a, b))
    adjusted = compare(
        _adjusted(a, theta, pooled_covariate),
        _adjusted(b, theta, pooled_covariate),
        relative=unadjusted.relative,
        alpha=unadjusted.alpha,
        alternative=unadjusted.alternative,
        method=method,
    )
    reduction = 1.0 - adjusted.se**2 / unadjusted.se**2 if adjusted.error_code is None else NAN
    return CupedResult(
        result=adjusted, unadjusted=unadjusted, theta=theta, variance_reduction=reduction
    )


def _unusable(unadjusted: TestResult, method: Method) -> CupedResult:
    return CupedResult(
        result=replace(unadjusted, method=method),
        unadjusted=unadjusted,
        theta=NAN,
        variance_reduction=NAN,
    )


def cuped_test(
    a: RegressionStats,
    b: RegressionStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> CupedResult:
    """Welch test of the CUPED-adjusted means of ``b`` against ``a``."""
    unadjusted = welch_test(a.y, b.y, relative=relative, alpha=alpha, alternative=alternative)
    if unadjusted.error_code is not None:
        return _unusable(unadjusted, "cuped")
    pooled = (a.x_sum + b.x_sum) / (a.n + b.n)
    return _finish(unadjusted, _mean_linear(a), _mean_linear(b), pooled, "cuped")


def ratio_cuped_test(
    a: RatioRegressionStats,
    b: RatioRegressionStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> CupedResult:
    """Delta-method test of a CUPED-adjusted ratio metric, the covariate its pre-exposure ratio."""
    unadjusted = ratio_test(
        a.ratio, b.ratio, relative=relative, alpha=alpha, alternative=alternative
    )
    if unadjusted.error_code is not None:
        return _unusable(unadjusted, "ratio_cuped")
    if a.pre_den_sum == 0 or b.pre_den_sum == 0:
        # No pre-period ratio to adjust with (e.g. units new to the product): theta is 0.
        return _finish(unadjusted, _without_covariate(a), _without_covariate(b), 0.0, "ratio_cuped")
    pooled = (a.pre_num_sum + b.pre_num_sum) / (a.pre_den_sum + b.pre_den_sum)
    return _finish(unadjusted, _ratio_linear(a), _ratio_linear(b), pooled, "ratio_cuped")
