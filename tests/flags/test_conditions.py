"""Targeting conditions: compiled predicates, bounded regular expressions, field paths of errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.flags.engine.conditions import compile_condition, condition_errors, eval_condition
from orgloop.flags.engine.jsvalues import REGEX_MAX_INPUT, regex_problem
from orgloop.kernel.errors import InvalidInput


@pytest.mark.parametrize(
    ("condition", "attributes", "expected"),
    [
        pytest.param({"country": {"$in": ["US", "CA"]}}, {"country": "US"}, True, id="in"),
        pytest.param({"country": {"$nin": ["US", "CA"]}}, {"country": "FR"}, True, id="nin"),
        pytest.param({"user.plan": "pro"}, {"user": {"plan": "pro"}}, True, id="dotted-path"),
        pytest.param({"user.plan": "pro"}, {"user": "pro"}, False, id="dotted-path-not-object"),
        pytest.param(
            {"tags": {"$in": ["beta"]}}, {"tags": ["x", "beta"]}, True, id="in-array-intersection"
        ),
        pytest.param({"name": {"$ini": ["ALICE"]}}, {"name": "alice"}, True, id="ini"),
        pytest.param({"name": {"$regexi": "^al"}}, {"name": "ALICE"}, True, id="regexi"),
        pytest.param({"tags": {"$alli": ["A", "b"]}}, {"tags": ["a", "B"]}, True, id="alli"),
        pytest.param({"v": {"$vgte": "1.10.0"}}, {"v": "1.9.3"}, False, id="semver-not-lexical"),
        pytest.param({"v": {"$vlt": "2.0.0"}}, {"v": "2.0.0-rc.1"}, True, id="prerelease-lower"),
        pytest.param({"id": {"$inGroup": "beta"}}, {"id": 7}, True, id="saved-group"),
        pytest.param({"id": {"$notInGroup": "beta"}}, {"id": 8}, True, id="not-in-saved-group"),
        pytest.param({"id": {"$inGroup": "nope"}}, {"id": 7}, False, id="unknown-group-empty"),
        pytest.param({"n": {"$gt": 5}}, {"n": "8"}, True, id="js-coercion-number-string"),
        pytest.param({"flag": True}, {"flag": 1}, True, id="truthy-equals-true"),
        pytest.param({"x": {"$bogus": 1}}, {"x": 1}, False, id="unknown-operator-never-matches"),
    ],
)
def test_condition_matches_like_growthbook(
    condition: dict[str, Any], attributes: dict[str, Any], expected: bool
) -> None:
    assert eval_condition(attributes, condition, {"beta": [7, "x"]}) is expected


def test_strict_compile_names_the_field_path_of_a_refused_regex() -> None:
    condition = {"$and": [{"country": {"$regex": "(a+)+$"}}]}
    with pytest.raises(InvalidInput) as info:
        compile_condition(condition, strict=True, path="rules[2].condition")
    [error] = info.value.details["errors"]
    assert error["path"] == "rules[2].condition.$and[0].country.$regex"
    assert "nested quantifiers" in error["message"]


def test_lenient_compile_makes_a_refused_regex_never_match() -> None:
    predicate = compile_condition({"name": {"$regex": "(x*)*y"}})
    assert predicate({"name": "x" * 40}) is False


def test_invalid_regex_does_not_match_at_evaluation() -> None:
    assert eval_condition({"name": "abc"}, {"name": {"$regex": "(unclosed"}}) is False


def test_every_problem_is_listed_with_its_path() -> None:
    errors = condition_errors({"a": {"$in": "US"}, "$or": {"b": 1}, "c": {"$nope": 1}})
    assert [e["path"] for e in errors] == ["condition.a.$in", "condition.$or", "condition.c.$nope"]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        pytest.param("(a+)+", "nested", id="nested-plus"),
        pytest.param("(?:a|b*)*c", "nested", id="nested-star-non-capturing"),
        pytest.param("([a-z]+){2,}", "nested", id="nested-brace"),
        pytest.param(r"(a)\1", "backreference", id="numbered-backreference"),
        pytest.param("(?P<x>a)(?P=x)", "backreference", id="named-backreference"),
        pytest.param("a" * 300, "longer than", id="too-long"),
    ],
)
def test_pathological_patterns_are_refused(pattern: str, problem: str) -> None:
    assert problem in (regex_problem(pattern) or "")


@pytest.mark.parametrize(
    "pattern", ["^[a-z]+@example\\.com$", "(ab)?c+", "[(+]+", "-12-25$", "a{1,1}b"]
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


def test_regex_does_not_run_on_oversized_input() -> None:
    predicate = compile_condition({"s": {"$regex": "a"}})
    assert predicate({"s": "a" * 10}) is True
    assert predicate({"s": "a" * (REGEX_MAX_INPUT + 1)}) is False


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(-5, 5)))
def test_not_negates_any_condition(attributes: dict[str, int]) -> None:
    inner = {"a": {"$gt": 0}, "b": {"$in": [1, 2, 3]}}
    assert eval_condition(attributes, {"$not": inner}) is not eval_condition(attributes, inner)


@given(st.lists(st.integers(0, 9), max_size=5), st.integers(0, 9))
def test_nin_is_the_negation_of_in(values: list[int], actual: int) -> None:
    attrs = {"x": actual}
    assert eval_condition(attrs, {"x": {"$nin": values}}) is not eval_condition(
        attrs, {"x": {"$in": values}}
    )


def test_version_paddings_are_remembered_within_a_bound() -> None:
    from orgloop.flags.engine import jsvalues

    jsvalues.PADDED_VERSIONS.clear()
    check = compile_condition({"v": {"$vgte": "2.3.0", "$vlt": "3.0.0"}})
    # GrowthBook pads the number 3 as "3" alone: below "3.0.0".
    versions = ("2.3.0", "v2.10.0", "3.0.0-rc.1", "2.3.0-rc.1", 3, None)
    assert [check({"v": v}) for v in versions] == [True, True, True, False, True, False]
    assert "v2.10.0" in jsvalues.PADDED_VERSIONS
    for i in range(5000):
        check({"v": f"1.{i}.0"})
    assert len(jsvalues.PADDED_VERSIONS) <= 4096
