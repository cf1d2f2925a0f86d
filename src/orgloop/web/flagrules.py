"""Flag rules in words: targeting conditions, rollouts, experiments and prerequisites.

Pure: the engine's rule dicts (see ``src/orgloop/flags/engine/README.md``) in, short sentences
out.  An operator without a phrase here is shown as its JSON, so nothing is ever hidden.
"""

from __future__ import annotations

import json
from typing import Any

_PHRASES = {
    "$eq": "is", "$ne": "is not", "$in": "is one of", "$nin": "is not one of",
    "$gt": ">", "$gte": "≥", "$lt": "<", "$lte": "≤", "$regex": "matches", "$regexi": "matches (any case)",
    "$ini": "is one of (any case)", "$nini": "is not one of (any case)",
    "$all": "contains all of", "$alli": "contains all of (any case)", "$size": "has size",
    "$type": "is of type", "$veq": "is version", "$vne": "is not version", "$vgt": "is a version after",
    "$vgte": "is version or after", "$vlt": "is a version before", "$vlte": "is version or before",
    "$inGroup": "is in saved group", "$notInGroup": "is not in saved group",
}  # fmt: skip


def value_text(value: Any) -> str:
    """A value as people write it: strings bare, lists comma-separated, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    return json.dumps(value, sort_keys=True)


def condition_text(condition: Any) -> str:
    """``{"country": {"$in": ["NL", "BE"]}, "age": {"$gte": 18}}`` -> ``country is one of NL,
    BE and age ≥ 18``."""
    if not isinstance(condition, dict) or not condition:
        return "everyone" if condition in ({}, None) else value_text(condition)
    clauses = [(k, _clause(k, v)) for k, v in condition.items()]
    if len(clauses) == 1:
        return clauses[0][1]
    # An "or" among "and"s keeps its own parentheses, so the sentence reads one way only.
    return " and ".join(f"({text})" if k == "$or" else text for k, text in clauses)


def _clause(key: str, test: Any) -> str:
    if key in ("$and", "$or", "$nor") and isinstance(test, list):
        joiner = " and " if key == "$and" else " or "
        inner = joiner.join(f"({condition_text(c)})" for c in test)
        if key == "$nor":
            return f"not ({inner})"
        return inner
    if key == "$not":
        return f"not ({condition_text(test)})"
    if not isinstance(test, dict) or not any(str(k).startswith("$") for k in test):
        return f"{key} is {value_text(test)}"
    return " and ".join(_operator(key, op, arg) for op, arg in test.items())


def _operator(key: str, op: str, arg: Any) -> str:
    if op == "$exists":
        return f"{key} {'is set' if arg else 'is not set'}"
    if op == "$not":
        return f"not ({_clause(key, arg)})"
    if op == "$elemMatch":
        return f"{key} has an element where {condition_text(arg)}"
    phrase = _PHRASES.get(op)
    if phrase is None:
        return f"{key} {json.dumps({op: arg}, sort_keys=True)}"
    return f"{key} {phrase} {value_text(arg)}"


def share(fraction: Any) -> str:
    return f"{float(fraction) * 100:.4g}%"


def rule_view(rule: dict[str, Any]) -> dict[str, Any]:
    """What a rule does, in parts a page can lay out: who, then what they get."""
    kind = str(rule.get("kind", "?"))
    who = condition_text(rule.get("condition"))
    view: dict[str, Any] = {"id": rule.get("id") or "", "kind": kind, "when": who}
    view["prerequisites"] = [_parent(p) for p in rule.get("parent_conditions") or []]
    if kind == "force":
        view["serves"] = value_text(rule.get("value"))
        view["rollout"] = _rollout(rule)
    elif kind == "experiment":
        view["experiment"] = rule.get("key") or "(the flag's key)"
        view["variations"] = _variations(rule)
        view["rollout"] = _rollout(rule)
    return view


def _rollout(rule: dict[str, Any]) -> str | None:
    by = rule.get("hash_attribute") or "id"
    if rule.get("range") is not None:
        low, high = rule["range"]
        return f"units whose {by} hashes into [{low}, {high}) ({share(high - low)})"
    if rule.get("coverage") is not None:
        return f"{share(rule['coverage'])} of units, by {by}"
    return None


def _variations(rule: dict[str, Any]) -> list[dict[str, Any]]:
    variations = list(rule.get("variations") or [])
    weights = rule.get("weights") or [1 / len(variations)] * len(variations) if variations else []
    meta = list(rule.get("meta") or [])
    rows = []
    for i, value in enumerate(variations):
        about = meta[i] if i < len(meta) and isinstance(meta[i], dict) else {}
        weight = weights[i] if i < len(weights) else None
        rows.append({
            "key": about.get("key") or str(i), "value": value_text(value),
            "weight": share(weight) if weight is not None else "—",
        })  # fmt: skip
    return rows


def _parent(parent: Any) -> str:
    if not isinstance(parent, dict):
        return value_text(parent)
    test = condition_text(parent.get("condition") or {}).replace("value ", "its value ", 1)
    gate = " (gate: otherwise the flag is off)" if parent.get("gate") else ""
    return f"flag {parent.get('flag')}: {test}{gate}"
