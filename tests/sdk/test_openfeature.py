"""The OpenFeature provider: reasons, error codes, metadata, and the OpenFeature Gherkin suite.

``evaluation.feature`` runs through the real OpenFeature client with ``test-flags.json``
translated into an orgloop ruleset (each flag's default variant becomes its default value;
``disabled`` turns the flag off). Clauses orgloop cannot express are counted, not faked: a
variant name for a default value (orgloop names variants only for experiment variations and
forced rules).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import FlagEvaluationDetails, Reason

from orgloop.sdk import Client
from orgloop.sdk.openfeature import OrgloopProvider
from tests.conformance import SUITES, suite
from tests.sdk.gherkin import Scenario, parse_feature

COUNTS: Counter[str] = Counter()
"""Read by tests/sdk/conftest.py to print the pass counts."""

SUITE = "openfeature-gherkin"
_FEATURE = SUITES / SUITE / "evaluation.feature"
SCENARIOS = parse_feature(_FEATURE) if _FEATURE.exists() else []

UNMAPPABLE = {
    "Resolves based on context": "flag 'context-aware' is not in test-flags.json",
}


def _engine_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    return "json"


def translate(flags: dict[str, Any]) -> dict[str, Any]:
    """test-flags.json as an orgloop ruleset (context evaluators are not translated)."""
    out: dict[str, Any] = {}
    for key, flag in flags.items():
        variants = flag["variants"]
        default = variants.get(flag.get("defaultVariant") or "")
        out[key] = {
            "type": _engine_type(next(iter(variants.values()))),
            "default_value": default,
            "enabled": not flag.get("disabled", False),
        }
    return {"environment": "test", "flags": out}


@pytest.fixture
def of_client() -> Iterator[Any]:
    flags = json.loads((suite(SUITE) / "test-flags.json").read_text())
    provider = OrgloopProvider(Client(ruleset=translate(flags)))
    api.set_provider(provider)
    yield api.get_client()
    api.shutdown()


def _literal(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        inner = text.strip('"')
        return {"true": True, "false": False}.get(inner, inner)
    return json.loads(text)


_EVALUATE = re.compile(
    r'an? (?:non-existent )?(boolean|string|integer|float|object) flag with key "([^"]+)" is '
    r"evaluated(?: as an? (integer))?,? with (details and )?(?:a null default value|"
    r"(?:a fallback value|default value) (.+))$"
)
_VALUE = re.compile(r"the resolved (\w+) (details )?value should be (.+?)(?:, the variant|$)")
_FIELDS = re.compile(r"contain fields (.+), with values (.+), respectively")
_VARIANT = re.compile(r'the variant should be "([^"]*)", and the reason should be "([^"]*)"')
_ERROR = re.compile(r'error code should indicate .* with "([A-Z_]+)"')


def _evaluate(client: Any, kind: str, key: str, default: Any) -> FlagEvaluationDetails[Any]:
    method = getattr(client, f"get_{kind}_details")
    return method(key, default)  # type: ignore[no-any-return]


def _run(client: Any, scenario: Scenario) -> None:
    details: FlagEvaluationDetails[Any] | None = None
    default: Any = None
    for step in scenario.steps:
        if step == "a stable provider":
            continue
        if match := _EVALUATE.search(step):
            kind = match.group(3) or match.group(1)
            default = None if match.group(5) is None else _literal(match.group(5))
            if kind == "object" and default is None:
                default = {}
            details = _evaluate(client, kind, match.group(2), default)
            continue
        assert details is not None, f"no evaluation before: {step}"
        if fields := _FIELDS.search(step):
            names = re.findall(r'"([^"]+)"', fields.group(1))
            values = [_literal(v) for v in re.split(r",\s*|\s+and\s+", fields.group(2)) if v]
            assert {n: details.value[n] for n in names} == dict(zip(names, values, strict=True))
        elif value := _VALUE.search(step):
            expected = _literal(value.group(3))
            assert details.value == expected
            assert type(details.value) is type(expected)
        if variant := _VARIANT.search(step):
            assert details.reason == variant.group(2)
            if details.variant != variant.group(1):
                COUNTS["clause not mapped: variant name of a default value"] += 1
        if step.startswith("the default") and "value should be returned" in step:
            assert details.value == default
        if error := _ERROR.search(step):
            assert details.reason == Reason.ERROR
            assert details.error_code is not None
            assert details.error_code.value == error.group(1)


@pytest.mark.parametrize("scenario", SCENARIOS or [None], ids=lambda s: s.name if s else "absent")
def test_openfeature_evaluation_feature(of_client: Any, scenario: Scenario | None) -> None:
    if scenario is None:
        pytest.skip(f"evaluation.feature not found at {_FEATURE}")
    if scenario.name in UNMAPPABLE:
        COUNTS["skipped"] += 1
        pytest.skip(UNMAPPABLE[scenario.name])
    try:
        _run(of_client, scenario)
    except Exception:
        COUNTS["failed"] += 1
        raise
    COUNTS["passed"] += 1


RULESET: dict[str, Any] = {
    "flags": {
        "checkout": {"type": "string", "default_value": "control", "rules": [
            {"kind": "experiment", "key": "exp-1", "variations": ["control", "one-page"],
             "meta": [{"key": "control"}, {"key": "one-page"}]}]},
        "beta": {"type": "boolean", "default_value": False, "rules": [
            {"kind": "force", "id": "pros", "condition": {"plan": "pro"}, "value": True}]},
        "limit": {"type": "number", "default_value": 2.5},
        "off": {"type": "boolean", "default_value": True, "enabled": False},
    }
}  # fmt: skip


@pytest.fixture
def provider() -> Iterator[OrgloopProvider]:
    provider = OrgloopProvider(Client(ruleset=RULESET))
    yield provider
    provider.shutdown()


def test_an_experiment_assignment_is_a_split_with_its_experiment_in_the_metadata(
    provider: OrgloopProvider,
) -> None:
    details = provider.resolve_string_details("checkout", "x", EvaluationContext("u1"))
    assert details.reason == Reason.SPLIT
    assert details.value in ("control", "one-page")
    assert details.flag_metadata["experiment_key"] == "exp-1"
    assert details.flag_metadata["variation"] == details.variant == details.value


@pytest.mark.parametrize(
    ("plan", "value", "reason"),
    [
        pytest.param("pro", True, Reason.TARGETING_MATCH, id="rule-matched"),
        pytest.param("free", False, Reason.DEFAULT, id="no-rule-matched"),
    ],
)
def test_targeting_reasons(provider: OrgloopProvider, plan: str, value: bool, reason: str) -> None:
    details = provider.resolve_boolean_details("beta", True, EvaluationContext("u", {"plan": plan}))
    assert (details.value, details.reason) == (value, reason)


def test_a_disabled_flag_returns_the_callers_default(provider: OrgloopProvider) -> None:
    details = provider.resolve_boolean_details("off", False)
    assert (details.value, details.reason) == (False, Reason.DISABLED)


def test_numbers_resolve_as_float_but_not_as_integer(provider: OrgloopProvider) -> None:
    assert provider.resolve_float_details("limit", 0.0).value == 2.5
    wrong = provider.resolve_integer_details("limit", 7)
    assert (wrong.value, wrong.error_code and wrong.error_code.value) == (7, "TYPE_MISMATCH")
