"""GrowthBook's cross-SDK cases (cases.json), run through an adapter to orgloop's ruleset model.

Cases that need what orgloop's evaluator deliberately leaves out (sticky bucketing, forced
variations, QA mode, URL targeting, contextual bandits...) are skipped with that reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgloop.flags.engine.bucketing import (
    choose_variation,
    get_bucket_ranges,
    get_equal_weights,
    in_namespace,
)
from orgloop.flags.engine.conditions import eval_condition
from orgloop.flags.engine.evaluation import Evaluator, Result
from orgloop.flags.engine.hashing import gb_hash
from orgloop.flags.engine.jsvalues import padded_version
from orgloop.flags.engine.ruleset import ruleset_from_dict
from tests.conformance import SUITES

_FILE = SUITES / "growthbook" / "cases.json"
_VERSIONS = SUITES / "growthbook" / "versionCompare-0.5.4.json"
_MISSING = pytest.mark.skip(reason=f"GrowthBook suite not found at {_FILE}")


def _load(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


CASES = _load(_FILE)


def _params(category: str, skip: Any = None) -> list[Any]:
    rows = CASES.get(category, [])
    if not rows:
        return [pytest.param(None, id="suite-missing", marks=_MISSING)]
    out = []
    for i, row in enumerate(rows):
        name = row[0] if isinstance(row[0], str) else f"{category}-{i}"
        reason = skip(row) if skip else None
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        out.append(pytest.param(row, id=f"{i}:{name}", marks=marks))
    return out


# --- adapter: GrowthBook feature definitions -> orgloop ruleset payload ---------------------

_RULE_FIELDS = {
    "id": "id",
    "condition": "condition",
    "coverage": "coverage",
    "range": "range",
    "hashAttribute": "hash_attribute",
    "fallbackAttribute": "fallback_attribute",
    "seed": "seed",
    "hashVersion": "hash_version",
    "key": "key",
    "variations": "variations",
    "weights": "weights",
    "ranges": "ranges",
    "namespace": "namespace",
}


def gb_rule(rule: dict[str, Any], *, strip_passthrough: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {k2: rule[k] for k, k2 in _RULE_FIELDS.items() if k in rule}
    if "force" in rule:
        out["kind"], out["value"] = "force", rule["force"]
        out.pop("variations", None)
    elif "variations" in rule:
        out["kind"] = "experiment"
    else:
        out["kind"] = "prerequisite"
    out["parent_conditions"] = [
        {"flag": p["id"], "condition": p.get("condition", {}), "gate": bool(p.get("gate"))}
        for p in rule.get("parentConditions", [])
    ]
    out["filters"] = [
        {
            "attribute": f.get("attribute", "id"),
            "seed": f["seed"],
            "ranges": f["ranges"],
            "hash_version": f.get("hashVersion", 2),
        }
        for f in rule.get("filters", [])
    ]
    out["meta"] = [
        {k: v for k, v in m.items() if k in ("key", "name", "passthrough")}
        for m in rule.get("meta", [])
    ]
    if strip_passthrough:
        for m in out["meta"]:
            m.pop("passthrough", None)
    return out


def gb_ruleset(context: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    flags = {
        key: {
            "default_value": f.get("defaultValue"),
            "rules": [gb_rule(r) for r in f.get("rules", [])],
        }
        for key, f in context.get("features", {}).items()
    }
    flags.update(extra or {})
    return {"flags": flags, "saved_groups": context.get("savedGroups", {})}


# --- skip reasons --------------------------------------------------------------------------

_OUT_OF_SCOPE_CONTEXT = {
    "forcedVariations": "forced variations (dev tools / querystring) are outside orgloop's evaluator",
    "qaMode": "QA mode is outside orgloop's evaluator",
    "url": "URL targeting is browser-only",
    "enabled": "a globally disabled SDK context is outside orgloop's evaluator",
    "contextualBandits": "contextual bandits are outside orgloop's evaluator",
    "stickyBucketAssignmentDocs": "sticky bucketing is outside orgloop's evaluator",
}
_OUT_OF_SCOPE_EXPERIMENT = {
    "force": "experiment-level forced variations are outside orgloop's evaluator",
    "active": "inactive (draft) experiments never reach orgloop's rulesets",
    "status": "experiment status is resolved by the server before a ruleset is built",
    "url": "URL targeting is browser-only",
    "groups": "legacy experiment groups are outside orgloop's evaluator",
    "include": "include callbacks are not serialisable",
}


def _context_skip(context: dict[str, Any]) -> str | None:
    return next((why for k, why in _OUT_OF_SCOPE_CONTEXT.items() if k in context), None)


def _feature_skip(row: list[Any]) -> str | None:
    reason = _context_skip(row[1])
    if reason:
        return reason
    for feature in row[1].get("features", {}).values():
        for rule in feature.get("rules", []):
            if "contextualVariations" in rule or "contextualBanditRef" in rule:
                return "contextual bandits are outside orgloop's evaluator"
    return None


def _run_skip(row: list[Any]) -> str | None:
    return _context_skip(row[1]) or next(
        (why for k, why in _OUT_OF_SCOPE_EXPERIMENT.items() if k in row[2]), None
    )


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("evalCondition"))
def test_evalCondition(case: list[Any]) -> None:
    _, condition, attributes, expected, *rest = case
    assert eval_condition(attributes, condition, rest[0] if rest else None) is expected


@pytest.mark.parametrize("case", _params("hash"))
def test_hash(case: list[Any]) -> None:
    seed, value, version, expected = case
    got = gb_hash(seed, value, version)
    assert got == (None if expected is None else pytest.approx(expected, abs=1e-9))


@pytest.mark.parametrize("case", _params("getBucketRange"))
def test_getBucketRange(case: list[Any]) -> None:
    _, (n, coverage, weights), expected = case
    got = get_bucket_ranges(n, coverage, weights)
    assert [list(r) for r in got] == [pytest.approx(r, abs=1e-9) for r in expected]


@pytest.mark.parametrize("case", _params("chooseVariation"))
def test_chooseVariation(case: list[Any]) -> None:
    _, n, ranges, expected = case
    assert choose_variation(n, ranges) == expected


@pytest.mark.parametrize("case", _params("inNamespace"))
def test_inNamespace(case: list[Any]) -> None:
    _, hash_value, namespace, expected = case
    assert in_namespace(hash_value, namespace) is expected


@pytest.mark.parametrize("case", _params("getEqualWeights"))
def test_getEqualWeights(case: list[Any]) -> None:
    n, expected = case
    assert get_equal_weights(n) == pytest.approx(expected, abs=1e-8)


def _check_feature(result: Result, expected: dict[str, Any]) -> None:
    got = {"value": result.value, "on": result.on, "off": result.off, "source": result.source}
    assert got == {k: expected[k] for k in got}
    assert result.rule_id == expected.get("ruleId", "")
    exp = expected.get("experimentResult")
    if exp is not None:
        assert result.variation_id == exp["variationId"]
        assert result.in_experiment is exp["inExperiment"]
        assert result.hash_used is exp["hashUsed"]
        assert result.variation_key == exp["key"]
        assert result.hash_attribute == exp["hashAttribute"]
        assert result.hash_value == exp["hashValue"]
        assert result.bucket == pytest.approx(exp["bucket"], abs=1e-9)
        assert result.experiment_key == expected["experiment"]["key"]


@pytest.mark.parametrize("case", _params("feature", _feature_skip))
def test_feature(case: list[Any]) -> None:
    _, context, key, expected = case
    evaluator = Evaluator(ruleset_from_dict(gb_ruleset(context)))
    _check_feature(evaluator.evaluate(key, context.get("attributes", {})), expected)


@pytest.mark.parametrize("case", _params("run", _run_skip))
def test_run(case: list[Any]) -> None:
    _, context, experiment, value, in_experiment, hash_used = case
    rule = gb_rule(experiment, strip_passthrough=True)
    for parent in rule["parent_conditions"]:
        parent["gate"] = False  # in runExperiment a failed prerequisite only excludes the unit
    run_flag = {"__run__": {"rules": [rule]}}
    evaluator = Evaluator(ruleset_from_dict(gb_ruleset(context, run_flag)))
    result = evaluator.evaluate("__run__", context.get("attributes", {}))
    if result.source == "experiment":
        got = (result.value, result.in_experiment, result.hash_used)
    else:
        got = (experiment["variations"][0], False, False)
    assert got == (value, in_experiment, hash_used)


def _version_params() -> list[Any]:
    data = _load(_VERSIONS).get("versionCompare", {})
    if not data:
        return [pytest.param(None, id="suite-missing", marks=_MISSING)]
    return [
        pytest.param((op, a, b, want), id=f"{op}:{a}:{b}")
        for op, rows in data.items()
        for a, b, want in rows
    ]


@pytest.mark.parametrize("case", _version_params())
def test_versionCompare(case: tuple[str, str, str, bool]) -> None:
    op, a, b, want = case
    left, right = padded_version(a), padded_version(b)
    got = {"lt": left < right, "gt": left > right, "eq": left == right}[op]
    assert got is want
