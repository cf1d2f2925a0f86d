"""Sufficient statistics: the few sums per variant that every test in this slice needs.

They are aggregated upstream (one ``SUM`` per field in SQL), are frozen, and add field by field,
so partial aggregates (per day, per shard) combine into the whole without revisiting raw events.
Each class validates itself on construction: sums that no data set could produce raise
``StatsError``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self

import numpy as np
import numpy.typing as npt

from orgloop.stats.errors import StatsError, check_finite

# Rounding in upstream sums may leave a tiny negative "sum of squared deviations"; only a
# clearly negative one means the sums are inconsistent.
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class _Sums:
    """Shared behaviour: validation of ``n``, finiteness, and field-wise addition."""

    n: int

    def __post_init__(self) -> None:
        _check_count(self.n)
        for field in fields(self):
            check_finite(float(getattr(self, field.name)), name=field.name)
        if self.n == 0 and any(getattr(self, f.name) != 0 for f in fields(self)):
            raise StatsError(
                "sums are non-zero for a group with n == 0",
                "aggregate the sums over the same rows as the count",
            )

    def __add__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        values = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        return type(self)(**values)


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise StatsError(f"n must be an integer count, got {n!r}", "pass COUNT(*) as an int")
    if n < 0:
        raise StatsError(f"n must not be negative, got {n}", "pass the number of units, >= 0")


def centred(n: int, sum_a: float, sum_b: float, sum_ab: float) -> float:
    """Sum of cross-products of deviations from the means, ``Σ(a-ā)(b-b̄)``."""
    return sum_ab - sum_a * sum_b / n if n > 0 else 0.0


def _check_squares(n: int, total: float, squares: float, *, name: str) -> None:
    deviation = centred(n, total, total, squares)
    if deviation < -_RELATIVE_TOLERANCE * max(1.0, abs(squares)):
        raise StatsError(
            f"{name} is smaller than (sum)^2 / n, which no data can produce",
            "aggregate SUM(x * x) over the same rows as SUM(x) and COUNT(*)",
        )


def _sample_variance(n: int, total: float, squares: float) -> float:
    if n < 2:
        return float("nan")
    return max(centred(n, total, total, squares), 0.0) / (n - 1)


@dataclass(frozen=True, slots=True)
class SampleStats(_Sums):
    """One metric per unit: ``n`` units, ``Σy`` and ``Σy²``.

    A proportion (conversion) metric is the same thing with 0/1 values, so ``sum_squares == sum``.
    """

    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        super(SampleStats, self).__post_init__()
        _check_squares(self.n, self.sum, self.sum_squares, name="sum_squares")

    @classmethod
    def from_values(cls, values: npt.ArrayLike) -> SampleStats:
        """Aggregate raw per-unit values (used by tests and small in-memory analyses)."""
        y = np.asarray(values, dtype=float)
        return cls(n=int(y.size), sum=float(y.sum()), sum_squares=float((y * y).sum()))

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else float("nan")

    @property
    def variance(self) -> float:
        """Sample variance with ``ddof=1``; NaN below two units."""
        return _sample_variance(self.n, self.sum, self.sum_squares)


@dataclass(frozen=True, slots=True)
class RatioStats(_Sums):
    """A ratio metric ``Σnum / Σden`` over units (e.g. revenue per session): both sums per unit."""

    num_sum: float
    num_sum_squares: float
    den_sum: float
    den_sum_squares: float
    num_den_sum_product: float

    def __post_init__(self) -> None:
        super(RatioStats, self).__post_init__()
        _check_squares(self.n, self.num_sum, self.num_sum_squares, name="num_sum_squares")
        _check_squares(self.n, self.den_sum, self.den_sum_squares, name="den_sum_squares")

    @classmethod
    def from_values(cls, num: npt.ArrayLike, den: npt.ArrayLike) -> RatioStats:
        y, d = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        return cls(
            n=int(y.size),
            num_sum=float(y.sum()),
            num_sum_squares=float((y * y).sum()),
            den_sum=float(d.sum()),
            den_sum_squares=float((d * d).sum()),
            num_den_sum_product=float((y * d).sum()),
        )


@dataclass(frozen=True, slots=True)
class RegressionStats(_Sums):
    """A metric ``y`` with a pre-exposure covariate ``x`` (for CUPED): sums, squares, ``Σxy``."""

    y_sum: float
    y_sum_squares: float
    x_sum: float
    x_sum_squares: float
    xy_sum: float

    def __post_init__(self) -> None:
        super(RegressionStats, self).__post_init__()
        _check_squares(self.n, self.y_sum, self.y_sum_squares, name="y_sum_squares")
        _check_squares(self.n, self.x_sum, self.x_sum_squares, name="x_sum_squares")

    @classmethod
    def from_values(cls, y: npt.ArrayLike, x: npt.ArrayLike) -> RegressionStats:
        ya, xa = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
        return cls(
            n=int(ya.size),
            y_sum=float(ya.sum()),
            y_sum_squares=float((ya * ya).sum()),
            x_sum=float(xa.sum()),
            x_sum_squares=float((xa * xa).sum()),
            xy_sum=float((xa * ya).sum()),
        )

    @property
    def y(self) -> SampleStats:
        """The metric alone, for the unadjusted comparison."""
        return SampleStats(n=self.n, sum=self.y_sum, sum_squares=self.y_sum_squares)


@dataclass(frozen=True, slots=True)
class RatioRegressionStats(_Sums):
    """A ratio metric with the same ratio measured before exposure, for ratio CUPED.

    Four per-unit variables (``num``, ``den``, ``pre_num``, ``pre_den``): their sums, squares and
    every cross product, so the full 4x4 covariance is known.
    """

    num_sum: float
    num_sum_squares: float
    den_sum: float
    den_sum_squares: float
    num_den_sum_product: float
    pre_num_sum: float
    pre_num_sum_squares: float
    pre_den_sum: float
    pre_den_sum_squares: float
    pre_num_pre_den_sum_product: float
    num_pre_num_sum_product: float
    num_pre_den_sum_product: float
    den_pre_num_sum_product: float
    den_pre_den_sum_product: float

    def __post_init__(self) -> None:
        super(RatioRegressionStats, self).__post_init__()
        for name in ("num", "den", "pre_num", "pre_den"):
            total, squares = getattr(self, f"{name}_sum"), getattr(self, f"{name}_sum_squares")
            _check_squares(self.n, total, squares, name=f"{name}_sum_squares")

    @classmethod
    def from_values(
        cls, num: npt.ArrayLike, den: npt.ArrayLike, pre_num: npt.ArrayLike, pre_den: npt.ArrayLike
    ) -> RatioRegressionStats:
        y, d = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        x, e = np.asarray(pre_num, dtype=float), np.asarray(pre_den, dtype=float)

        def dot(u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]) -> float:
            return float((u * v).sum())

        return cls(
            n=int(y.size),
            num_sum=float(y.sum()),
            num_sum_squares=dot(y, y),
            den_sum=float(d.sum()),
            den_sum_squares=dot(d, d),
            num_den_sum_product=dot(y, d),
            pre_num_sum=float(x.sum()),
            pre_num_sum_squares=dot(x, x),
            pre_den_sum=float(e.sum()),
            pre_den_sum_squares=dot(e, e),
            pre_num_pre_den_sum_product=dot(x, e),
            num_pre_num_sum_product=dot(y, x),
            num_pre_den_sum_product=dot(y, e),
            den_pre_num_sum_product=dot(d, x),
            den_pre_den_sum_product=dot(d, e),
        )

    @property
    def ratio(self) -> RatioStats:
        """The in-experiment ratio alone, for the unadjusted comparison."""
        return RatioStats(
            n=self.n,
            num_sum=self.num_sum,
            num_sum_squares=self.num_sum_squares,
            den_sum=self.den_sum,
            den_sum_squares=self.den_sum_squares,
            num_den_sum_product=self.num_den_sum_product,
        )

    @property
    def pre_ratio(self) -> RatioStats:
        """The pre-exposure ratio, the covariate."""
        return RatioStats(
            n=self.n,
            num_sum=self.pre_num_sum,
            num_sum_squares=self.pre_num_sum_squares,
            den_sum=self.pre_den_sum,
            den_sum_squares=self.pre_den_sum_squares,
            num_den_sum_product=self.pre_num_pre_den_sum_product,
        )
