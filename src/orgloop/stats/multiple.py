"""Adjusted p-values for many comparisons at once (several metrics or variants in one experiment).

Holm controls the family-wise error rate (the chance of any false positive) and is uniformly
better than Bonferroni.  Benjamini–Hochberg controls the false discovery rate (the expected share
of false positives among the discoveries), the usual choice for a dozen secondary metrics.
NaN p-values (degenerate comparisons) stay NaN and are left out of the family.

References: Holm, Scand. J. Statist. 1979; Benjamini & Hochberg, JRSS B 1995.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from orgloop.stats.errors import StatsError


def _finite(p_values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the non-NaN p-values and their values, after validation."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise StatsError("p_values must be a flat sequence", "pass one p-value per comparison")
    keep = np.flatnonzero(~np.isnan(p))
    values = p[keep]
    if np.any((values < 0) | (values > 1)):
        raise StatsError(
            "p-values must lie in [0, 1]",
            "pass the p_value fields of the results, unmodified",
        )
    return keep, values


def _assemble(size: int, keep: np.ndarray, adjusted: np.ndarray) -> tuple[float, ...]:
    out = np.full(size, math.nan)
    out[keep] = np.minimum(adjusted, 1.0)
    return tuple(float(v) for v in out)


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm step-down adjusted p-values, in the input order."""
    keep, p = _finite(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = p[order] * (m - np.arange(m))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped) if m else stepped
    return _assemble(len(p_values), keep, adjusted)


def benjamini_hochberg(p_values: Sequence[float]) -> tuple[float, ...]:
    """Benjamini–Hochberg step-up adjusted p-values (q-values), in the input order."""
    keep, p = _finite(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1] if m else scaled
    return _assemble(len(p_values), keep, adjusted)
