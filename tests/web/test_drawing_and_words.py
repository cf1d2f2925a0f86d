"""Pure helpers of the capability pages: chart drawing, rules in words, cumulative cut-offs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.web import charts
from orgloop.web.cumulative import MAX_POINTS, cutoffs
from orgloop.web.flagrules import condition_text, rule_view

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(finite, finite)
def test_ticks_are_evenly_spaced_from_below_the_range_to_its_top(a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    ticks = charts.nice_ticks(low, high)
    steps = [y - x for x, y in itertools.pairwise(ticks)]
    step = steps[0] if steps else 1.0
    assert all(abs(s - step) <= 1e-6 * step for s in steps), steps  # even, at any magnitude
    assert 1 <= len(ticks) <= 12
    assert ticks[0] <= low + 1e-9
    top = high if high > low else low + 1.0  # an empty range is drawn one unit tall
    assert ticks[-1] + step >= top - 1e-6


def test_the_forest_plot_draws_each_interval_and_escapes_labels() -> None:
    svg = charts.forest_svg(
        [
            charts.Interval("<b>conversion</b>", 0.1, 0.02, 0.18, "better"),
            charts.Interval("errors", -0.05, -0.2, 0.1),
            charts.Interval("p90", None, None, None),
        ],
        title="t & u",
    )
    assert svg.count('class="point"') == 2
    assert svg.count('class="ci"') == 2
    assert "no result" in svg
    assert "<b>" not in svg
    assert "&lt;b&gt;conversion" in svg
    assert "t &amp; u" in svg
    assert charts.TONES["better"] in svg


def test_the_band_chart_handles_one_point_and_many() -> None:
    one = charts.band_svg([charts.Point("2026-01-09", 0.5, 0.3, 0.7)], title="x")
    assert 'class="line"' in one
    assert 'class="ci"' in one
    many = charts.band_svg(
        [charts.Point(f"d{i}", 0.1 * i, 0.1 * i - 0.2, 0.1 * i + 0.2) for i in range(10)],
        title="x",
    )
    assert many.count("<circle") == 10
    assert ">d0<" in many
    assert ">d9<" in many


def test_the_bar_chart_has_two_bars_per_month() -> None:
    svg = charts.bars_svg([("2026-01", 3, 1), ("2026-02", 0, 2)], title="velocity")
    assert svg.count('class="bar started"') == 2
    assert svg.count('class="bar decided"') == 2


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({}, "everyone"),
        ({"country": "NL"}, "country is NL"),
        ({"country": {"$in": ["NL", "BE"]}}, "country is one of NL, BE"),
        ({"age": {"$gte": 18, "$lt": 65}}, "age ≥ 18 and age < 65"),
        ({"email": {"$exists": False}}, "email is not set"),
        ({"$or": [{"a": 1}, {"b": 2}]}, "(a is 1) or (b is 2)"),
        ({"$not": {"beta": True}}, "not (beta is true)"),
        ({"v": {"$vgte": "2.0.0"}}, "v is version or after 2.0.0"),
        ({"x": {"$weird": 1}}, 'x {"$weird": 1}'),
    ],
    ids=["empty", "equals", "in", "range", "missing", "or", "not", "version", "unknown-operator"],
)
def test_conditions_read_as_sentences(condition: dict[str, Any], words: str) -> None:
    assert condition_text(condition) == words


def test_rules_say_what_they_serve_to_whom() -> None:
    rollout = rule_view({"kind": "force", "value": "blue", "coverage": 0.25, "hash_attribute": "company"})  # fmt: skip
    assert (rollout["serves"], rollout["rollout"]) == ("blue", "25% of units, by company")
    experiment = rule_view({"kind": "experiment", "variations": ["a", "b", "c"]})
    assert [v["weight"] for v in experiment["variations"]] == ["33.33%"] * 3
    gate = rule_view(
        {
            "kind": "prerequisite",
            "parent_conditions": [{"flag": "p", "condition": {"value": True}, "gate": True}],
        }
    )
    assert gate["prerequisites"] == ["flag p: its value is true (gate: otherwise the flag is off)"]


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=23))
def test_cutoffs_are_bounded_ordered_and_end_at_the_end(days: int, hours: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=days, hours=hours)
    cuts = cutoffs(start, end)
    assert 1 <= len(cuts) <= MAX_POINTS
    assert cuts == sorted(set(cuts))
    assert cuts[-1] == end
    assert all(start < c <= end for c in cuts) or end == start
