"""Flag evaluation and the server-side validator, on orgloop's own ruleset model."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.flags.engine.evaluation import Evaluator
from orgloop.flags.engine.ruleset import ruleset_from_dict, ruleset_to_dict
from orgloop.flags.engine.validation import find_cycles, validate_ruleset
from orgloop.kernel.errors import InvalidInput


def build(flags: dict[str, Any], **extra: Any) -> Evaluator:
    return Evaluator(ruleset_from_dict({"flags": flags, **extra}))


def experiment(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "experiment",
        "key": "exp",
        "variations": ["a", "b"],
        "hash_version": 2,
        **fields,
    }


def test_unknown_flag_is_off() -> None:
    result = build({}).evaluate("missing", {})
    assert (result.value, result.off, result.source) == (None, True, "unknownFeature")


def test_disabled_flag_is_off_whatever_its_rules() -> None:
    ev = build(
        {
            "f": {
                "default_value": True,
                "enabled": False,
                "rules": [{"kind": "force", "value": True}],
            }
        }
    )
    result = ev.evaluate("f", {"id": "1"})
    assert (result.value, result.on, result.source) == (None, False, "disabled")


def test_first_matching_rule_wins() -> None:
    rules = [
        {"kind": "force", "id": "ca", "value": "maple", "condition": {"country": "CA"}},
        {
            "kind": "force",
            "id": "na",
            "value": "eagle",
            "condition": {"country": {"$in": ["US", "CA"]}},
        },
    ]
    ev = build({"f": {"type": "string", "default_value": "none", "rules": rules}})
    assert ev.evaluate("f", {"country": "CA"})[:5] == ("maple", True, False, "force", "ca")
    assert ev.evaluate("f", {"country": "US"}).rule_id == "na"
    assert ev.evaluate("f", {"country": "FR"}).source == "defaultValue"


def test_percentage_rollout_includes_about_its_coverage() -> None:
    rule = {"kind": "force", "value": True, "coverage": 0.2, "hash_version": 2}
    ev = build({"f": {"default_value": False, "rules": [rule]}})
    share = sum(ev.evaluate("f", {"id": f"u{i}"}).value for i in range(5000)) / 5000
    assert share == pytest.approx(0.2, abs=0.03)


def test_rollout_skips_units_without_the_hash_attribute() -> None:
    rule = {"kind": "force", "value": True, "coverage": 1.0, "hash_attribute": "company"}
    assert (
        build({"f": {"default_value": False, "rules": [rule]}}).evaluate("f", {"id": "1"}).value
        is False
    )


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=30))
def test_experiment_assignment_is_deterministic(unit: str) -> None:
    ev = build({"f": {"rules": [experiment()]}})
    assert ev.evaluate("f", {"id": unit}) == ev.evaluate("f", {"id": unit})


def test_experiment_splits_by_weight() -> None:
    ev = build({"f": {"rules": [experiment(weights=[0.25, 0.75])]}})
    results = [ev.evaluate("f", {"id": f"user-{i}"}) for i in range(8000)]
    assert all(r.in_experiment and r.source == "experiment" for r in results)
    assert sum(r.variation_id == 0 for r in results) / 8000 == pytest.approx(0.25, abs=0.02)


def test_experiment_falls_back_to_equal_weights_when_weights_are_bad() -> None:
    ev = build({"f": {"rules": [experiment(weights=[0.9, 0.9])]}})
    share = sum(ev.evaluate("f", {"id": f"u{i}"}).variation_id == 0 for i in range(4000)) / 4000
    assert share == pytest.approx(0.5, abs=0.03)


def test_experiment_result_says_how_the_unit_was_bucketed() -> None:
    meta = [{"key": "control"}, {"key": "treatment"}]
    result = build({"f": {"rules": [experiment(id="r1", meta=meta)]}}).evaluate("f", {"id": "42"})
    assert result.experiment_key == "exp"
    assert result.rule_id == "r1"
    assert result.hash_attribute == "id"
    assert result.hash_value == "42"
    assert result.bucket is not None
    assert 0 <= result.bucket < 1
    assert result.variation_key in ("control", "treatment")


def test_fallback_attribute_is_used_when_the_hash_attribute_is_missing() -> None:
    ev = build(
        {"f": {"rules": [experiment(hash_attribute="user_id", fallback_attribute="device")]}}
    )
    result = ev.evaluate("f", {"device": "d-1"})
    assert (result.in_experiment, result.hash_attribute) == (True, "device")


def test_namespace_excludes_units_outside_its_range() -> None:
    ev = build(
        {"f": {"default_value": "off", "rules": [experiment(namespace=["checkout", 0, 0.3])]}}
    )
    results = [ev.evaluate("f", {"id": f"u{i}"}) for i in range(3000)]
    share = sum(r.in_experiment for r in results) / 3000
    assert share == pytest.approx(0.3, abs=0.04)


def test_gating_prerequisite_turns_the_flag_off() -> None:
    flags = {
        "parent": {
            "default_value": False,
            "rules": [{"kind": "force", "value": True, "condition": {"beta": True}}],
        },
        "child": {
            "default_value": "on",
            "rules": [
                {
                    "kind": "prerequisite",
                    "parent_conditions": [
                        {"flag": "parent", "condition": {"value": True}, "gate": True}
                    ],
                }
            ],
        },
    }
    ev = build(flags)
    assert ev.evaluate("child", {"beta": True}).value == "on"
    assert ev.evaluate("child", {"beta": False})[:4] == (None, False, True, "prerequisite")


def test_cyclic_prerequisites_are_reported_at_evaluation() -> None:
    def gated_on(parent: str) -> dict[str, Any]:
        cond = {"flag": parent, "condition": {"value": True}, "gate": True}
        return {
            "default_value": True,
            "rules": [{"kind": "prerequisite", "parent_conditions": [cond]}],
        }

    ev = build({"a": gated_on("b"), "b": gated_on("a")})
    assert ev.evaluate("a", {}).source == "cyclicPrerequisite"


def test_explanation_lists_each_step() -> None:
    rules = [
        {"kind": "force", "id": "vip", "value": "gold", "condition": {"vip": True}},
        {"kind": "experiment", "key": "e", "variations": ["x", "y"]},
    ]
    ev = build({"f": {"type": "string", "default_value": "none", "rules": rules}})
    result = ev.evaluate("f", {"id": "7", "vip": False}, explain=True)
    assert len(result.explanation) == 2
    assert "condition did not match" in result.explanation[0]
    assert "experiment 'e'" in result.explanation[1]
    assert ev.evaluate("f", {"id": "7"}).explanation == ()


def test_value_returns_the_callers_default_for_unknown_flags() -> None:
    ev = build({"f": {"default_value": 3}})
    assert ev.value("f", {}) == 3
    assert ev.value("nope", {}, default="fallback") == "fallback"


def test_ruleset_round_trips_through_its_json_payload() -> None:
    payload = {
        "environment": "prod",
        "version": 3,
        "flags": {
            "f": {
                "type": "string",
                "default_value": "a",
                "rules": [experiment(weights=[0.5, 0.5], namespace=["ns", 0.0, 0.5])],
            }
        },
        "saved_groups": {"beta": [1, 2]},
    }
    ruleset = ruleset_from_dict(payload)
    assert ruleset_from_dict(ruleset_to_dict(ruleset)) == ruleset


def test_malformed_payload_is_refused_with_paths() -> None:
    with pytest.raises(InvalidInput) as info:
        ruleset_from_dict(
            {"flags": {"f": {"rules": [{"kind": "magic"}, {"kind": "force", "coverage": "half"}]}}}
        )
    paths = [e["path"] for e in info.value.details["errors"]]
    assert paths == ["flags.f.rules[0].kind", "flags.f.rules[1].coverage"]


def _validation_paths(flags: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        validate_ruleset(ruleset_from_dict({"flags": flags}))
    return [e["path"] for e in info.value.details["errors"]]


def test_validator_refuses_weights_that_do_not_add_up() -> None:
    flags = {
        "f": {
            "type": "string",
            "rules": [{"kind": "force", "value": "x"}, experiment(weights=[0.5, 0.6])],
        }
    }
    assert _validation_paths(flags) == ["flags.f.rules[1].weights"]


def test_validator_refuses_values_of_the_wrong_type_and_bad_conditions() -> None:
    flags = {
        "f": {
            "type": "boolean",
            "default_value": "yes",
            "rules": [
                {
                    "kind": "force",
                    "value": 1,
                    "condition": {"$and": [{"country": {"$regex": "(a+)+"}}]},
                }
            ],
        }
    }
    assert _validation_paths(flags) == [
        "flags.f.default_value",
        "flags.f.rules[0].condition.$and[0].country.$regex",
        "flags.f.rules[0].value",
    ]


def test_validator_refuses_cyclic_prerequisites() -> None:
    def needs(parent: str) -> dict[str, Any]:
        return {"rules": [{"kind": "prerequisite", "parent_conditions": [{"flag": parent}]}]}

    flags = {"a": needs("b"), "b": needs("c"), "c": needs("a"), "d": needs("a")}
    ruleset = ruleset_from_dict({"flags": flags})
    assert find_cycles(ruleset.flags) == [["a", "b", "c", "a"]]
    assert _validation_paths(flags) == ["flags.a.rules[0].parent_conditions[0].flag"]
