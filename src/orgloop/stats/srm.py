"""Sample ratio mismatch: are units split across variants the way the traffic weights promise?

A mismatch means assignment or logging is broken (a redirect that loses users, a bot filter that
hits one variant), and then every metric comparison is suspect, whatever its p-value.  The check
is Pearson's chi-square goodness of fit; the threshold is strict (0.001) because it runs on
every experiment at every look and a false alarm halts a good experiment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats as sps

from orgloop.stats.errors import StatsError, check_alpha
from orgloop.stats.results import NAN, SrmResult

DEFAULT_THRESHOLD = 0.001


def _check_counts(counts: Sequence[int]) -> None:
    if len(counts) < 2:
        raise StatsError(
            f"need the counts of at least two variants, got {len(counts)}",
            "pass one unit count per variant, control first",
        )
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise StatsError(
                f"counts must be non-negative integers, got {count!r}",
                "pass COUNT(DISTINCT unit) per variant",
            )


def _normalised(weights: Sequence[float] | None, size: int) -> list[float]:
    if weights is None:
        return [1.0 / size] * size
    if len(weights) != size or not all(math.isfinite(w) and w > 0 for w in weights):
        raise StatsError(
            f"weights must be {size} positive numbers, one per variant, got {list(weights)!r}",
            "pass the traffic split of the variants, e.g. [0.5, 0.5] (they are normalised)",
        )
    total = float(sum(weights))
    return [w / total for w in weights]


def srm_test(
    counts: Sequence[int],
    weights: Sequence[float] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> SrmResult:
    """Chi-square test of observed unit ``counts`` against expected ``weights`` (equal if None)."""
    _check_counts(counts)
    shares = _normalised(weights, len(counts))
    check_alpha(threshold, name="threshold")
    total = sum(counts)
    expected = tuple(total * share for share in shares)
    dof = len(counts) - 1
    if total == 0:
        return SrmResult(NAN, NAN, dof, expected, threshold, "no_units")
    chi_square = sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True))
    p_value = float(sps.chi2.sf(chi_square, dof))
    return SrmResult(chi_square, p_value, dof, expected, threshold)
