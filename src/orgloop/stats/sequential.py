"""Always-valid inference: p-values and intervals that stay valid however often they are read.

A fixed-horizon test read after every batch and stopped at the first p < alpha rejects a true
null far more often than alpha.  Here the evidence is the Gaussian mixture martingale (a mixture
sequential probability ratio test): with ``z`` the usual z-statistic and ``N`` the units so far,

    M_N = exp(N rho^2 z^2 / (2 (N rho^2 + 1))) / sqrt(N rho^2 + 1)

is, under the null, a nonnegative martingale with mean 1, so by Ville's inequality
P(M_N >= 1/alpha at any N) <= alpha.  The always-valid p-value is ``min(1, 1/M_N)`` and the
matching confidence sequence is ``lift ± se * sqrt((N rho^2 + 1)/(N rho^2) * (2 log(1/alpha) +
log(N rho^2 + 1)))``, the asymptotic confidence sequence of Howard et al. (as gbstats uses it).
``tuning`` is the number of units at which the interval is tightest; the method stays valid for
any value, only its power changes.  Sample variances make it asymptotic (valid as N grows).

References: Howard, Ramdas, McAuliffe, Sekhon, "Time-uniform, nonparametric, nonasymptotic
confidence sequences", Ann. Statist. 2021 (eq. 14 and the rho choice of its section 3.5);
Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence sequences", 2021;
Johari, Pekelis, Walsh, "Always valid inference", 2015.
"""

from __future__ import annotations

import math

from orgloop.stats._compare import Arm, degenerate, effect, empty_result
from orgloop.stats.errors import StatsError, check_alpha
from orgloop.stats.frequentist import mean_arm, ratio_arm
from orgloop.stats.results import TestResult
from orgloop.stats.sufficient import RatioStats, SampleStats

DEFAULT_TUNING = 5000


def mixture_rho_squared(alpha: float, tuning: float) -> float:
    """Mixing variance that makes the confidence sequence tightest at ``tuning`` units."""
    check_alpha(alpha)
    if not (isinstance(tuning, int | float) and tuning > 0 and math.isfinite(tuning)):
        raise StatsError(
            f"tuning must be a positive number of units, got {tuning!r}",
            f"pass the expected sample size of the experiment, e.g. tuning={DEFAULT_TUNING}",
        )
    log_term = -2.0 * math.log(alpha)
    return (log_term + math.log(log_term + 1.0)) / tuning


def mixture_p_value(z: float, n_total: int, *, alpha: float, tuning: float) -> float:
    """Always-valid p-value ``min(1, 1/M_N)`` for a z-statistic after ``n_total`` units."""
    scale = n_total * mixture_rho_squared(alpha, tuning)
    log_evidence = scale * z * z / (2.0 * (scale + 1.0)) - 0.5 * math.log1p(scale)
    return math.exp(-max(log_evidence, 0.0))


def mixture_half_width(se: float, n_total: int, *, alpha: float, tuning: float) -> float:
    """Half-width of the confidence sequence around the lift (se times the mixture boundary)."""
    scale = n_total * mixture_rho_squared(alpha, tuning)
    return se * math.sqrt((scale + 1.0) / scale * (2.0 * math.log(1.0 / alpha) + math.log1p(scale)))


def _arm(stats: SampleStats | RatioStats) -> Arm:
    return mean_arm(stats) if isinstance(stats, SampleStats) else ratio_arm(stats)


def sequential_test(
    a: SampleStats | RatioStats,
    b: SampleStats | RatioStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    tuning: float = DEFAULT_TUNING,
) -> TestResult:
    """Two-sided always-valid test of ``b`` against ``a``; safe to read after every batch."""
    check_alpha(alpha)
    arm_a, arm_b = _arm(a), _arm(b)
    code = degenerate(arm_a, arm_b, relative=relative)
    if code is not None:
        return empty_result(
            arm_a,
            arm_b,
            code,
            relative=relative,
            alpha=alpha,
            alternative="two-sided",
            method="sequential",
        )
    eff = effect(arm_a, arm_b, relative=relative)
    se = math.sqrt(eff.variance)
    n_total = arm_a.n + arm_b.n
    width = mixture_half_width(se, n_total, alpha=alpha, tuning=tuning)
    return TestResult(
        lift=eff.lift,
        ci_low=eff.lift - width,
        ci_high=eff.lift + width,
        p_value=mixture_p_value(eff.lift / se, n_total, alpha=alpha, tuning=tuning),
        se=se,
        dof=None,
        relative=relative,
        alternative="two-sided",
        alpha=alpha,
        method="sequential",
        control_mean=arm_a.mean,
        treatment_mean=arm_b.mean,
    )
