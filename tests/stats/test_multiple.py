"""Holm and Benjamini–Hochberg adjustments: golden values and statsmodels agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]

from orgloop.stats import StatsError, benjamini_hochberg, holm

P = [0.01, 0.04, 0.03, 0.005]


def test_holm_golden() -> None:
    assert holm(P) == pytest.approx((0.03, 0.06, 0.06, 0.02))


def test_benjamini_hochberg_golden() -> None:
    assert benjamini_hochberg(P) == pytest.approx((0.02, 0.04, 0.04, 0.02))


@pytest.mark.parametrize(
    ("ours", "method"), [(holm, "holm"), (benjamini_hochberg, "fdr_bh")], ids=["holm", "bh"]
)
@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed{s}")
def test_agrees_with_statsmodels(ours: object, method: str, seed: int) -> None:
    gen = np.random.default_rng(seed)
    p = gen.uniform(0, 0.2, int(gen.integers(1, 30)))
    p[gen.integers(0, p.size)] = p[0]  # a tie
    expected = multipletests(p, method=method)[1]
    assert ours(list(p)) == pytest.approx(tuple(expected))  # type: ignore[operator]


def test_nan_p_values_stay_nan_and_leave_the_family() -> None:
    adjusted = holm([0.01, math.nan, 0.04])
    assert math.isnan(adjusted[1])
    assert adjusted[0] == pytest.approx(0.02)
    assert adjusted[2] == pytest.approx(0.04)


def test_empty_family_gives_nothing() -> None:
    assert holm([]) == ()
    assert benjamini_hochberg([]) == ()


def test_a_p_value_above_one_raises() -> None:
    with pytest.raises(StatsError, match="unmodified"):
        holm([0.2, 1.2])
