"""Unleash's client specification as an extra oracle, through an adapter to orgloop flags.

Each strategy becomes a ``force: true`` rule (strategies are alternatives), constraints become
conditions, and rollouts use the ``murmur3`` hash version (Unleash's ``murmur3(group:id) % 100 + 1``).
Features using what does not map (IP and host strategies, random rollout, dates, segments,
dependent features) are skipped with that reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from orgloop.flags.engine.evaluation import Evaluator
from orgloop.flags.engine.hashing import hasher
from orgloop.flags.engine.ruleset import ruleset_from_dict
from tests.conformance import SUITES

_DIR = SUITES / "unleash-spec"
_NUM = {"NUM_GT": "$gt", "NUM_GTE": "$gte", "NUM_LT": "$lt", "NUM_LTE": "$lte"}
_SEMVER = {"SEMVER_EQ": "$veq", "SEMVER_GT": "$vgt", "SEMVER_LT": "$vlt"}
_STR = {"STR_CONTAINS": "{}", "STR_STARTS_WITH": "^{}", "STR_ENDS_WITH": "{}$"}
_STICKY = {"userId", "sessionId"}


class Unmappable(Exception):
    pass


def constraint(c: dict[str, Any]) -> dict[str, Any]:
    op, values, value = c["operator"], c.get("values", []), c.get("value")
    if op in ("IN", "NOT_IN"):
        test: dict[str, Any] = {"$in" if op == "IN" else "$nin": values}
    elif op in _STR:
        alts = "|".join(_STR[op].format(re.escape(v)) for v in values)
        test = {"$exists": True, "$regexi" if c.get("caseInsensitive") else "$regex": f"(?:{alts})"}
    elif op in _NUM or op == "NUM_EQ":
        number = float(value)
        test = {
            "$exists": True,
            **({"$gte": number, "$lte": number} if op == "NUM_EQ" else {_NUM[op]: number}),
        }
    elif op in _SEMVER and re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", str(value)):
        test = {"$exists": True, _SEMVER[op]: value}
    else:
        raise Unmappable(f"constraint operator {op} (or its value) has no orgloop equivalent")
    cond = {c["contextName"]: test}
    return {"$not": cond} if c.get("inverted") else cond


def _rollout(
    rule: dict[str, Any], percent: Any, group: str, attribute: str, required: bool = True
) -> None:
    pct = float(percent)
    if pct >= 100 and not required:
        return  # a full flexible rollout includes units without the attribute (random stickiness)
    rule.update(coverage=pct / 100, seed=group, hash_version="murmur3", hash_attribute=attribute)


def strategy(s: dict[str, Any], feature: str) -> dict[str, Any]:
    name, params = s["name"], s.get("parameters", {})
    rule: dict[str, Any] = {"kind": "force", "value": True}
    conds = [constraint(c) for c in s.get("constraints", [])]
    if name == "userWithId":
        conds.append({"userId": {"$in": [u.strip() for u in params.get("userIds", "").split(",")]}})
    elif name == "gradualRolloutUserId":
        _rollout(rule, params["percentage"], params.get("groupId", feature), "userId")
    elif name == "gradualRolloutSessionId":
        _rollout(rule, params["percentage"], params.get("groupId", feature), "sessionId")
    elif name == "flexibleRollout":
        stickiness = params.get("stickiness", "default")
        attribute = "userId" if stickiness == "default" else stickiness
        _rollout(rule, params.get("rollout", 100), params.get("groupId", feature), attribute, False)
    elif name != "default":
        raise Unmappable(f"strategy {name} has no orgloop equivalent")
    if s.get("segments"):
        raise Unmappable("segments are not part of the translated model")
    if conds:
        rule["condition"] = {"$and": conds}
    return rule


def unleash_flag(feature: dict[str, Any]) -> dict[str, Any]:
    if feature.get("dependencies"):
        raise Unmappable("dependent features are not translated")
    strategies = feature.get("strategies") or [{"name": "default"}]
    rules = [strategy(s, feature["name"]) for s in strategies]
    return {"enabled": feature["enabled"], "default_value": False, "rules": rules}


def attributes(context: dict[str, Any]) -> dict[str, Any]:
    return {
        **context.get("properties", {}),
        **{k: v for k, v in context.items() if k != "properties"},
    }


def _skip_reason(flag: dict[str, Any] | str, context: dict[str, Any]) -> str | None:
    if isinstance(flag, str):
        return flag
    for rule in flag["rules"]:
        if rule.get("hash_version") == "murmur3":
            if hasher("murmur3") is None:
                return "mmh3 is not installed: no murmur3 hash version"
            if (
                not attributes(context).get(rule["hash_attribute"])
                and rule["hash_attribute"] == "userId"
            ):
                return "Unleash falls back to a random stickiness, which is not deterministic"
            if rule["hash_attribute"] not in _STICKY and rule["hash_attribute"] not in attributes(
                context
            ):
                return "custom stickiness on a missing field"
    return None


def _cases() -> list[Any]:
    index = _DIR / "index.json"
    if not index.exists():
        return [
            pytest.param(
                None,
                None,
                None,
                id="suite-missing",
                marks=pytest.mark.skip(reason=f"{_DIR} not found"),
            )
        ]
    out = []
    for name in json.loads(index.read_text()):
        spec = json.loads((_DIR / name).read_text())
        state = spec.get("state", {})
        features = state.get("features", []) if isinstance(state, dict) else []
        flags: dict[str, Any] = {}
        for feature in features:
            try:
                flags[feature["name"]] = unleash_flag(feature)
            except Unmappable as exc:
                flags[feature["name"]] = str(exc)
        for i, test in enumerate(spec.get("tests", [])):
            flag = flags.get(
                test["toggleName"], "feature absent from the spec's state (delta API case)"
            )
            if not features:
                flag = "no feature state to translate (delta API case)"
            reason = _skip_reason(flag, test["context"])
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            usable = {k: v for k, v in flags.items() if isinstance(v, dict)}
            out.append(
                pytest.param(
                    usable, test, name, id=f"{name[:2]}:{i}:{test['toggleName']}", marks=marks
                )
            )
    return out


@pytest.mark.parametrize(("flags", "test", "spec"), _cases())
def test_isEnabled(flags: dict[str, Any], test: dict[str, Any], spec: str) -> None:
    evaluator = Evaluator(ruleset_from_dict({"flags": flags}))
    result = evaluator.evaluate(test["toggleName"], attributes(test["context"]))
    assert result.on is test["expectedResult"], test["description"]
