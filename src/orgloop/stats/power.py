"""Planning: power, sample size per variant and minimum detectable effect (two-sided, 1:1 split).

Effects are relative to the control mean, as experimenters state them ("detect a 2% lift").
The normal approximation matches the z and Welch tests of this slice at planning-sized samples:

    power = Phi(|delta| / se - z) + Phi(-|delta| / se - z),  z = Phi^-1(1 - alpha / 2),
    se = sqrt((var_control + var_treatment) / n)

with ``var = std^2`` in both arms for means and the unpooled Bernoulli variances ``p (1 - p)``
for proportions.  Sample size and MDE invert that equation numerically.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import optimize, special

from orgloop.stats.errors import StatsError, check_alpha

DEFAULT_POWER = 0.8


def _positive(value: float, *, name: str, remedy: str) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise StatsError(f"{name} must be a positive number, got {value!r}", remedy)


def _check_effect(relative_effect: float) -> None:
    if not (math.isfinite(relative_effect) and relative_effect != 0):
        raise StatsError(
            f"relative_effect must be a non-zero number, got {relative_effect!r}",
            "pass the lift to detect as a fraction of the control, e.g. 0.02 for +2%",
        )


def _power(delta: float, variance_sum: float, n: float, alpha: float) -> float:
    z = float(special.ndtri(1.0 - alpha / 2.0))
    shift = abs(delta) / math.sqrt(variance_sum / n)
    return float(special.ndtr(shift - z) + special.ndtr(-shift - z))


def _solve_n(power_of_n: Callable[[float], float], target: float) -> int:
    high = 2.0
    while power_of_n(high) < target:
        high *= 2.0
        if high > 1e15:
            raise StatsError(
                "the effect is too small to detect with any sample size",
                "plan for a larger effect or a less noisy metric",
            )
    if power_of_n(1.0) >= target:
        return 1
    root = optimize.brentq(lambda n: power_of_n(n) - target, 1.0, high, xtol=1e-9)
    return math.ceil(float(root))


def _check_power(power: float) -> None:
    check_alpha(power, name="power", example=DEFAULT_POWER)


def _check_mean(mean: float, std: float) -> None:
    if not (math.isfinite(mean) and mean != 0):
        raise StatsError(
            f"mean must be a non-zero number, got {mean!r}",
            "pass the control mean, relative effects are fractions of it",
        )
    _positive(std, name="std", remedy="pass the per-unit standard deviation of the metric")


def power_mean(
    *, n_per_variant: float, mean: float, std: float, relative_effect: float, alpha: float = 0.05
) -> float:
    """Chance that a two-sided test detects a relative lift of a mean metric."""
    check_alpha(alpha)
    _check_mean(mean, std)
    _check_effect(relative_effect)
    _positive(n_per_variant, name="n_per_variant", remedy="pass the units per variant")
    return _power(mean * relative_effect, 2.0 * std**2, n_per_variant, alpha)


def sample_size_mean(
    *,
    mean: float,
    std: float,
    relative_effect: float,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
) -> int:
    """Units per variant needed to detect ``relative_effect`` on a mean metric."""
    check_alpha(alpha)
    _check_power(power)
    _check_mean(mean, std)
    _check_effect(relative_effect)
    delta = mean * relative_effect
    return _solve_n(lambda n: _power(delta, 2.0 * std**2, n, alpha), power)


def mde_mean(
    *,
    n_per_variant: float,
    mean: float,
    std: float,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
) -> float:
    """Smallest positive relative lift of a mean metric detected with the given power."""
    check_alpha(alpha)
    _check_power(power)
    _check_mean(mean, std)
    _positive(n_per_variant, name="n_per_variant", remedy="pass the units per variant")
    se = math.sqrt(2.0 * std**2 / n_per_variant)
    high = se * 50.0
    delta = optimize.brentq(
        lambda d: _power(d, 2.0 * std**2, n_per_variant, alpha) - power,
        1e-12 * se,
        high,
        xtol=1e-14 * se,
    )
    return float(delta / abs(mean))


def _check_baseline(baseline: float) -> None:
    if not (isinstance(baseline, int | float) and 0 < baseline < 1):
        raise StatsError(
            f"baseline must be a rate strictly between 0 and 1, got {baseline!r}",
            "pass the control conversion rate, e.g. 0.1 for 10%",
        )


def _proportion_variances(baseline: float, relative_effect: float) -> tuple[float, float]:
    treated = baseline * (1.0 + relative_effect)
    if not 0 < treated < 1:
        raise StatsError(
            f"the treated rate {treated!r} falls outside (0, 1)",
            "pass a relative_effect that keeps baseline * (1 + effect) a valid rate",
        )
    return treated - baseline, baseline * (1 - baseline) + treated * (1 - treated)


def power_proportion(
    *, n_per_variant: float, baseline: float, relative_effect: float, alpha: float = 0.05
) -> float:
    """Chance that a two-sided z-test detects a relative lift of a conversion rate."""
    check_alpha(alpha)
    _check_baseline(baseline)
    _check_effect(relative_effect)
    _positive(n_per_variant, name="n_per_variant", remedy="pass the units per variant")
    delta, variance_sum = _proportion_variances(baseline, relative_effect)
    return _power(delta, variance_sum, n_per_variant, alpha)


def sample_size_proportion(
    *,
    baseline: float,
    relative_effect: float,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
) -> int:
    """Units per variant needed to detect ``relative_effect`` on a conversion rate."""
    check_alpha(alpha)
    _check_power(power)
    _check_baseline(baseline)
    _check_effect(relative_effect)
    delta, variance_sum = _proportion_variances(baseline, relative_effect)
    return _solve_n(lambda n: _power(delta, variance_sum, n, alpha), power)


def mde_proportion(
    *, n_per_variant: float, baseline: float, alpha: float = 0.05, power: float = DEFAULT_POWER
) -> float:
    """Smallest positive relative lift of a conversion rate detected with the given power.

    Returns NaN when even the largest possible lift (to a rate of 1) is not detectable.
    """
    check_alpha(alpha)
    _check_power(power)
    _check_baseline(baseline)
    _positive(n_per_variant, name="n_per_variant", remedy="pass the units per variant")

    def gap(effect: float) -> float:
        delta, variance_sum = _proportion_variances(baseline, effect)
        return _power(delta, variance_sum, n_per_variant, alpha) - power

    largest = (1.0 - baseline) / baseline * (1.0 - 1e-9)
    if gap(largest) < 0:
        return math.nan
    return float(optimize.brentq(gap, 1e-12, largest, xtol=1e-14))
