"""Bayesian comparison under a Gaussian model of the lift, as GrowthBook's gbstats does it.

The lift estimate (absolute, or relative by the delta method) is treated as normally distributed
around the true lift.  With the default flat prior the posterior is that same normal; a weak
``GaussianPrior`` shrinks small, noisy samples towards the prior mean.  From the posterior come
the chance to win P(lift > 0), an equal-tailed credible interval, and the expected loss of each
decision: what is given up, on average, by shipping a variant that is in fact worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from orgloop.stats._compare import Arm, degenerate, effect
from orgloop.stats.errors import StatsError, check_alpha
from orgloop.stats.frequentist import mean_arm, ratio_arm
from orgloop.stats.results import NAN, BayesianResult
from orgloop.stats.sufficient import RatioStats, SampleStats


@dataclass(frozen=True, slots=True)
class GaussianPrior:
    """Prior on the lift: ``Normal(mean, variance)``; ``proper=False`` means flat (no prior)."""

    mean: float = 0.0
    variance: float = 0.3**2
    proper: bool = True

    def __post_init__(self) -> None:
        if self.proper and not self.variance > 0:
            raise StatsError(
                f"a proper prior needs a positive variance, got {self.variance!r}",
                "pass variance > 0, or proper=False for a flat prior",
            )


FLAT = GaussianPrior(proper=False)


def _arm(stats: SampleStats | RatioStats) -> Arm:
    return mean_arm(stats) if isinstance(stats, SampleStats) else ratio_arm(stats)


def _posterior(lift: float, variance: float, prior: GaussianPrior) -> tuple[float, float]:
    if not prior.proper:
        return lift, math.sqrt(variance)
    precision = 1.0 / variance + 1.0 / prior.variance
    mean = (lift / variance + prior.mean / prior.variance) / precision
    return mean, math.sqrt(1.0 / precision)


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def bayesian_test(
    a: SampleStats | RatioStats,
    b: SampleStats | RatioStats,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    prior: GaussianPrior = FLAT,
) -> BayesianResult:
    """Posterior of the lift of ``b`` over ``a``: chance to win, credible interval, risk."""
    check_alpha(alpha)
    arm_a, arm_b = _arm(a), _arm(b)
    code = degenerate(arm_a, arm_b, relative=relative)
    if code is not None:
        return BayesianResult(NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, relative, alpha, code)
    eff = effect(arm_a, arm_b, relative=relative)
    mu, sd = _posterior(eff.lift, eff.variance, prior)
    z = mu / sd
    width = float(special.ndtri(1.0 - alpha / 2.0)) * sd
    density, win = _normal_pdf(z), float(special.ndtr(z))
    return BayesianResult(
        lift=eff.lift,
        ci_low=mu - width,
        ci_high=mu + width,
        chance_to_win=win,
        # E[max(0, lift)] and E[max(0, -lift)] of a normal posterior.
        expected_loss_control=max(sd * density + mu * win, 0.0),
        expected_loss_treatment=max(sd * density - mu * (1.0 - win), 0.0),
        posterior_mean=mu,
        posterior_sd=sd,
        relative=relative,
        alpha=alpha,
    )
