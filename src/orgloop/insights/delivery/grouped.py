"""Grouped counts, sums and quantiles over numpy arrays, without a Python loop per group (pure)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def counts(keys: Ints, size: int) -> Ints:
    return np.bincount(keys, minlength=size).astype(np.int64)


def sums(keys: Ints, values: Floats, size: int) -> Floats:
    return np.bincount(keys, weights=values, minlength=size).astype(np.float64)


def quantiles(keys: Ints, values: Floats, size: int, q: float) -> Floats:
    """The q-quantile of ``values`` per key (numpy's default linear interpolation); NaN if none.

    One sort by (key, value), then each group's two neighbouring ranks are read by index.
    """
    result = np.full(size, np.nan)
    if len(keys) == 0:
        return result
    order = np.lexsort((values, keys))
    sorted_keys, sorted_values = keys[order], values[order]
    n = np.bincount(sorted_keys, minlength=size)
    starts = np.concatenate(([0], np.cumsum(n)[:-1]))
    present = n > 0
    position = (n[present] - 1) * q
    low = np.floor(position).astype(np.int64)
    high = np.ceil(position).astype(np.int64)
    base = starts[present]
    low_values = sorted_values[base + low]
    high_values = sorted_values[base + high]
    result[present] = low_values + (high_values - low_values) * (position - low)
    return result


def medians(keys: Ints, values: Floats, size: int) -> Floats:
    return quantiles(keys, values, size, 0.5)
