"""Sampled spans count by their adjusted count (1 / sampling probability)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.traces.sampling import adjusted_count, threshold_probability


@pytest.mark.parametrize(
    ("tracestate", "probability"),
    [
        pytest.param("ot=th:0", 1.0, id="all"),
        pytest.param("ot=th:8", 0.5, id="half"),
        pytest.param("ot=th:c", 0.25, id="quarter"),
        pytest.param("vendor=x,ot=rv:abcdefabcdefab;th:e", 0.125, id="among-others"),
        pytest.param("ot=th:zz", None, id="not-hex"),
        pytest.param("ot=th:123456789abcdef0", None, id="too-long"),
        pytest.param("other=th:8", None, id="other-vendor"),
    ],
)
def test_the_w3c_threshold_gives_the_probability(
    tracestate: str, probability: float | None
) -> None:
    assert threshold_probability(tracestate) == probability


def test_the_attribute_is_the_fallback_and_garbage_counts_once() -> None:
    assert adjusted_count("", 0.1) == pytest.approx(10)
    assert adjusted_count("ot=th:8", 0.1) == 2  # the tracestate wins
    assert adjusted_count("", 0.0) == 1
    assert adjusted_count("", 7.0) == 1
    assert adjusted_count("", None) == 1


@given(st.integers(1, 14).flatmap(lambda n: st.text("0123456789abcdef", min_size=n, max_size=n)))
def test_adjusted_counts_are_at_least_one(th: str) -> None:
    count = adjusted_count(f"ot=th:{th}", None)
    assert count >= 1
    probability = threshold_probability(f"ot=th:{th}")
    assert probability is None or 0 < probability <= 1
