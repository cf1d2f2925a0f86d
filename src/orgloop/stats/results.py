"""Result types: frozen, flat, and NaN-filled (with an ``error_code``) when data are degenerate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orgloop.stats.errors import ResultErrorCode

Alternative = Literal["two-sided", "greater", "less"]
"""The alternative hypothesis; ``greater`` means the treatment is larger than the control."""

Method = Literal["welch", "z", "delta", "cuped", "ratio_cuped", "sequential", "quantile"]

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class TestResult:
    """A frequentist comparison of treatment against control.

    ``lift`` is ``mean_b - mean_a`` (absolute) or ``(mean_b - mean_a) / mean_a`` (relative);
    ``ci_low``/``ci_high`` bound it (infinite on the open side of a one-sided test); ``se`` is the
    standard error of ``lift``; ``dof`` is ``None`` for normal (z) reference distributions.
    """

    __test__ = False  # not a pytest test class despite the name

    lift: float
    ci_low: float
    ci_high: float
    p_value: float
    se: float
    dof: float | None
    relative: bool
    alternative: Alternative
    alpha: float
    method: Method
    control_mean: float
    treatment_mean: float
    error_code: ResultErrorCode | None = None

    @property
    def significant(self) -> bool:
        """True when the p-value is below ``alpha`` (never for a degenerate result)."""
        return self.error_code is None and self.p_value < self.alpha


@dataclass(frozen=True, slots=True)
class CupedResult:
    """A CUPED-adjusted comparison, with the pooled ``theta`` and how much variance it removed.

    ``variance_reduction`` is ``1 - var(adjusted lift) / var(unadjusted lift)``: 0.3 means the
    adjusted test is as precise as the plain one would be with ~1.43x the units.
    """

    result: TestResult
    unadjusted: TestResult
    theta: float
    variance_reduction: float


@dataclass(frozen=True, slots=True)
class BayesianResult:
    """Posterior summary of the lift under a Gaussian model.

    ``chance_to_win`` is P(lift > 0); ``expected_loss_treatment`` is E[max(0, -lift)], what is lost
    on average by shipping the treatment, ``expected_loss_control`` the same for keeping control.
    """

    lift: float
    ci_low: float
    ci_high: float
    chance_to_win: float
    expected_loss_control: float
    expected_loss_treatment: float
    posterior_mean: float
    posterior_sd: float
    relative: bool
    alpha: float
    error_code: ResultErrorCode | None = None


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Sample ratio mismatch check: Pearson chi-square of observed against expected counts."""

    chi_square: float
    p_value: float
    dof: int
    expected: tuple[float, ...]
    threshold: float
    error_code: ResultErrorCode | None = None

    @property
    def mismatch(self) -> bool:
        """True when assignment is broken badly enough that the results should not be read."""
        return self.error_code is None and self.p_value < self.threshold
