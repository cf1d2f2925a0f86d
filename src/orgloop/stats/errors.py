"""Errors of the statistics slice: invalid input raises, degenerate data is reported by code.

Two kinds of trouble, kept apart on purpose:

* ``StatsError`` (a ``ValueError``) is raised for input that can never be right: a negative
  count, sums that no data set could produce, ``alpha`` outside (0, 1).  Its message ends with
  the remedy, so the caller knows what to change.
* Degenerate but possible data (too few units, no variance, a zero baseline) is *not* an
  exception: the result carries a stable ``error_code`` from ``ResultErrorCode`` and NaN numbers,
  because a live experiment passes through such states and a dashboard must still render.

The slice depends on numpy and scipy only, so it does not import the kernel's error types.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

ResultErrorCode = Literal[
    "no_units",
    "insufficient_units",
    "zero_variance",
    "zero_control_mean",
    "zero_denominator",
]
"""Closed set of codes a result may carry; each has a heading in the slice README (a test checks)."""

RESULT_ERROR_CODES: tuple[str, ...] = get_args(ResultErrorCode)


class StatsError(ValueError):
    """Input no data set could produce, or a setting out of range; the message holds the remedy."""

    def __init__(self, problem: str, remedy: str) -> None:
        self.problem = problem
        self.remedy = remedy
        super().__init__(f"{problem}; {remedy}")


def check_alpha(alpha: float, *, name: str = "alpha", example: float = 0.05) -> None:
    """Raise unless ``alpha`` is a probability strictly between 0 and 1."""
    if not (isinstance(alpha, int | float) and 0.0 < alpha < 1.0):
        raise StatsError(
            f"{name} must lie strictly between 0 and 1, got {alpha!r}",
            f"pass a probability such as {name}={example}",
        )


def check_finite(value: float, *, name: str) -> None:
    """Raise unless ``value`` is a finite number (NaN and infinities come from broken upstream SQL)."""
    if not math.isfinite(value):
        raise StatsError(
            f"{name} must be a finite number, got {value!r}",
            "check the upstream aggregation for NULLs or overflow",
        )
