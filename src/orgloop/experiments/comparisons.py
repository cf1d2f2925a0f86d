"""One treatment against control on one metric: the sufficient statistics turned into the
``stats`` slice's objects, the right test for the metric kind and method, and the row's numbers.

Pure; used by ``analysis``.  Every lift is relative.  Degenerate data give a row whose ``status``
is the test's result code and whose numbers are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scipy import special

from orgloop.experiments.metrics import Metric
from orgloop.experiments.queries import MetricStats, QuantileStats
from orgloop.stats import (
    QuantileEstimate,
    RatioRegressionStats,
    RatioStats,
    RegressionStats,
    SampleStats,
    TestResult,
    bayesian_test,
    cuped_test,
    proportion_test,
    quantile_test,
    ratio_cuped_test,
    ratio_test,
    sequential_test,
    welch_test,
)

Method = Literal["frequentist", "bayesian", "sequential"]
Correction = Literal["holm", "bh", "none"]
Role = Literal["primary", "secondary", "guardrail"]


@dataclass(frozen=True, slots=True)
class Settings:
    """How to read the numbers: one experiment's analysis choices."""

    control: str
    alpha: float = 0.05
    method: Method = "frequentist"
    correction: Correction = "holm"
    cuped: bool = True
    weights: Mapping[str, float] | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)


def empty(status: str) -> dict[str, Any]:
    return {
        "mean": None,
        "control_mean": None,
        "lift": None,
        "lift_ci_low": None,
        "lift_ci_high": None,
        "p_value": None,
        "adjusted_p_value": None,
        "chance_to_win": None,
        "cuped_variance_reduction": None,
        "unadjusted": None,
        "verdict": "inconclusive",
        "status": status,
    }


def compare(metric: Metric, a: MetricStats, b: MetricStats, settings: Settings) -> dict[str, Any]:
    reduction: float | None = None
    plain: TestResult | None = None
    adjusted = _cuped(metric, a, b, settings) if settings.cuped else None
    if adjusted is not None:
        result, plain, reduction = adjusted
    elif settings.method == "sequential":
        result = sequential_test(
            _plain(metric, a), _plain(metric, b), relative=True, alpha=settings.alpha
        )
    else:
        result = _fixed(metric, a, b, settings.alpha)
    if result.error_code is not None:
        return empty(result.error_code)
    out = _summary(metric, result, settings)
    out["cuped_variance_reduction"] = num(reduction)
    if plain is not None:
        out["unadjusted"] = _unadjusted(metric, plain, settings)
    if settings.method == "bayesian" and adjusted is None:
        posterior = bayesian_test(_plain(metric, a), _plain(metric, b), alpha=settings.alpha)
        out["lift_ci_low"], out["lift_ci_high"] = posterior.ci_low, posterior.ci_high
        out["chance_to_win"] = _towards(metric, posterior.chance_to_win)
    return out


def _unadjusted(metric: Metric, plain: TestResult, settings: Settings) -> dict[str, Any]:
    """The estimate without CUPED, shown beside the adjusted one: ``lift``, ``low``, ``high``,
    ``p_value`` (None under the Bayesian method)."""
    summary = _summary(metric, plain, settings)
    return {
        "lift": summary["lift"],
        "low": summary["lift_ci_low"],
        "high": summary["lift_ci_high"],
        "p_value": summary["p_value"],
    }


def _summary(metric: Metric, result: TestResult, settings: Settings) -> dict[str, Any]:
    """Rows of a frequentist result; chance to win from the same normal model (flat prior)."""
    up = special.ndtr(result.lift / result.se) if result.se > 0 else 0.5
    bayesian = settings.method == "bayesian"
    if bayesian:
        width = float(special.ndtri(1 - settings.alpha / 2)) * result.se
        low, high = result.lift - width, result.lift + width
    else:
        low, high = result.ci_low, result.ci_high
    return {
        **empty("ok"),
        "mean": num(result.treatment_mean),
        "control_mean": num(result.control_mean),
        "lift": num(result.lift),
        "lift_ci_low": num(low),
        "lift_ci_high": num(high),
        "p_value": None if bayesian else num(result.p_value),
        "chance_to_win": _towards(metric, float(up)),
    }


def compare_quantiles(
    metric: Metric, a: QuantileStats, b: QuantileStats, settings: Settings
) -> dict[str, Any]:
    """The relative difference of a quantile, tested from each variant's order-statistic
    interval (``stats.quantiles``).  The sequential method has no always-valid version of this
    test, so there the row only describes the difference."""
    if a.estimate is None or b.estimate is None:
        return empty("no_units")
    lift = (b.estimate - a.estimate) / a.estimate if a.estimate != 0 else None
    described = empty("descriptive") | {
        "mean": b.estimate,
        "control_mean": a.estimate,
        "lift": num(lift),
    }
    if settings.method == "sequential":
        return described | {"message": "quantiles are tested only by the fixed-horizon and "
                            "Bayesian methods"}  # fmt: skip
    if None in (a.lower, a.upper, b.lower, b.upper):
        return described | {
            "status": "insufficient_units",
            "message": f"too few units for a {a.confidence:.0%} interval of the quantile",
        }
    assert a.lower is not None
    assert a.upper is not None
    assert b.lower is not None
    assert b.upper is not None
    result = quantile_test(
        QuantileEstimate(a.estimate, a.lower, a.upper, a.confidence, a.n),
        QuantileEstimate(b.estimate, b.lower, b.upper, b.confidence, b.n),
        relative=True,
        alpha=settings.alpha,
    )
    if result.error_code is not None:
        return described | {"status": result.error_code}
    return _summary(metric, result, settings)


def _towards(metric: Metric, chance_up: float) -> float | None:
    return num(chance_up if metric.direction == "increase" else 1.0 - chance_up)


def _plain(metric: Metric, s: MetricStats) -> SampleStats | RatioStats:
    if metric.kind == "ratio":
        return RatioStats(
            n=s.n,
            num_sum=s.sum,
            num_sum_squares=s.sum_squares,
            den_sum=s.den_sum or 0.0,
            den_sum_squares=s.den_sum_squares or 0.0,
            num_den_sum_product=s.num_den_sum_product or 0.0,
        )
    return SampleStats(n=s.n, sum=s.sum, sum_squares=s.sum_squares)


def _fixed(metric: Metric, a: MetricStats, b: MetricStats, alpha: float) -> TestResult:
    pa, pb = _plain(metric, a), _plain(metric, b)
    if isinstance(pa, RatioStats) and isinstance(pb, RatioStats):
        return ratio_test(pa, pb, relative=True, alpha=alpha)
    assert isinstance(pa, SampleStats)
    assert isinstance(pb, SampleStats)
    if metric.kind == "proportion":
        return proportion_test(pa, pb, relative=True, alpha=alpha)
    return welch_test(pa, pb, relative=True, alpha=alpha)


def _cuped(
    metric: Metric, a: MetricStats, b: MetricStats, settings: Settings
) -> tuple[TestResult, TestResult, float] | None:
    """The CUPED-adjusted test, the plain one and the variance reduction, or None when no covariate was computed or CUPED cannot apply.

    The sequential method has no CUPED variant, so it always reads the plain numbers.
    """
    if settings.method == "sequential" or a.covariate_sum is None or b.covariate_sum is None:
        return None
    if metric.kind == "ratio":
        result = ratio_cuped_test(
            _ratio_regression(a), _ratio_regression(b), relative=True, alpha=settings.alpha
        )
    else:
        result = cuped_test(_regression(a), _regression(b), relative=True, alpha=settings.alpha)
    if result.result.error_code is not None and result.unadjusted.error_code is None:
        return None  # e.g. a covariate without variance: fall back to the plain test
    return result.result, result.unadjusted, result.variance_reduction


def _regression(s: MetricStats) -> RegressionStats:
    return RegressionStats(
        n=s.n,
        y_sum=s.sum,
        y_sum_squares=s.sum_squares,
        x_sum=s.covariate_sum or 0.0,
        x_sum_squares=s.covariate_sum_squares or 0.0,
        xy_sum=s.cross_sum or 0.0,
    )


def _ratio_regression(s: MetricStats) -> RatioRegressionStats:
    return RatioRegressionStats(
        n=s.n,
        num_sum=s.sum,
        num_sum_squares=s.sum_squares,
        den_sum=s.den_sum or 0.0,
        den_sum_squares=s.den_sum_squares or 0.0,
        num_den_sum_product=s.num_den_sum_product or 0.0,
        pre_num_sum=s.covariate_sum or 0.0,
        pre_num_sum_squares=s.covariate_sum_squares or 0.0,
        pre_den_sum=s.covariate_den_sum or 0.0,
        pre_den_sum_squares=s.covariate_den_sum_squares or 0.0,
        pre_num_pre_den_sum_product=s.covariate_num_den_sum_product or 0.0,
        num_pre_num_sum_product=s.cross_sum or 0.0,
        num_pre_den_sum_product=s.num_covariate_den_sum_product or 0.0,
        den_pre_num_sum_product=s.den_covariate_sum_product or 0.0,
        den_pre_den_sum_product=s.den_covariate_den_sum_product or 0.0,
    )


def num(value: float | None) -> float | None:
    """JSON-safe: NaN and infinities become None."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
