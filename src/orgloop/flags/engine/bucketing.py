"""Bucket ranges and variation choice, exactly as GrowthBook computes them.

A unit's hash is a number in [0, 1); each variation owns a half-open range of that line. With
coverage below 1 each range is shortened from its end, so raising coverage later only adds units
and never moves one between variations.
"""

from __future__ import annotations

from collections.abc import Sequence

from orgloop.flags.engine.hashing import gb_hash

Range = tuple[float, float]

WEIGHT_TOLERANCE = 0.01
"""Weights whose sum is further than this from 1 fall back to equal weights (GrowthBook's rule)."""


def get_equal_weights(n: int) -> list[float]:
    """``n`` equal weights; empty for ``n <= 0``."""
    if n <= 0:
        return []
    return [1 / n] * n


def weights_usable(weights: Sequence[float], n: int) -> bool:
    """Whether GrowthBook would use these weights for ``n`` variations."""
    if len(weights) != n:
        return False
    total = 0.0
    for w in weights:
        total = w + total
    return 1 - WEIGHT_TOLERANCE <= total <= 1 + WEIGHT_TOLERANCE


def get_bucket_ranges(
    n: int, coverage: float | None = None, weights: Sequence[float] | None = None
) -> list[Range]:
    """Each variation's range; coverage clamped to [0, 1], bad weights replaced by equal ones."""
    cover = 1.0 if coverage is None else min(max(coverage, 0.0), 1.0)
    chosen: Sequence[float] = get_equal_weights(n)
    if weights is not None and weights_usable(weights, n):
        chosen = weights
    ranges: list[Range] = []
    cumulative = 0.0
    for w in chosen:
        start = cumulative
        cumulative += w
        ranges.append((start, start + cover * w))
    return ranges


def choose_variation(n: float, ranges: Sequence[Sequence[float]]) -> int:
    """Index of the range holding ``n``, or -1 when it falls in none (outside coverage)."""
    for i, (start, end) in enumerate(ranges):
        if start <= n < end:
            return i
    return -1


def in_namespace(hash_value: str, namespace: Sequence[object]) -> bool:
    """Whether a unit falls in a namespace ``(id, start, end)`` (hash v1 of ``"__" + id``)."""
    ns_id, start, end = namespace
    n = gb_hash("__" + str(ns_id), hash_value, 1)
    return n is not None and float(start) <= n < float(end)  # type: ignore[arg-type]
