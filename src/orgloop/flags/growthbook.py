"""An environment's ruleset in the payload GrowthBook's SDKs load (pure).

``GET {apiHost}/api/features/{clientKey}`` answers ``{"status": 200, "features": {...},
"savedGroups": {...}, "dateUpdated": ...}``; each feature is ``{"defaultValue", "rules"}`` and each
rule uses GrowthBook's field names (``condition``, ``force``, ``coverage``, ``hashAttribute``,
``fallbackAttribute``, ``variations``, ``weights``, ``key``, ``seed``, ``hashVersion``,
``namespace``, ``filters``, ``ranges``, ``meta``, ``parentConditions``). orgloop's engine follows
GrowthBook's semantics, so the translation is field for field; a flag switched off in the
environment is sent as a feature without rules whose default is ``null`` (orgloop's SDK gives
``None`` for it too).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orgloop.flags.engine import Flag, Rule, Ruleset, ruleset_from_dict


def growthbook_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The GrowthBook SDK payload of orgloop's ruleset payload (``FlagService.ruleset``)."""
    ruleset = ruleset_from_dict(payload)
    return {
        "status": 200,
        "features": {key: feature(flag) for key, flag in sorted(ruleset.flags.items())},
        "savedGroups": {key: list(values) for key, values in ruleset.saved_groups.items()},
        "dateUpdated": _date(ruleset),
    }


def feature(flag: Flag) -> dict[str, Any]:
    """One flag as a GrowthBook feature definition."""
    if not flag.enabled:
        return {"defaultValue": None, "rules": []}
    return {"defaultValue": flag.default_value, "rules": [rule(r) for r in flag.rules]}


def rule(r: Rule) -> dict[str, Any]:
    """One rule in GrowthBook's shape: ``force`` for a forced value, ``variations`` for an
    experiment, neither for a prerequisite (its ``parentConditions`` alone)."""
    out: dict[str, Any] = {}
    if r.id:
        out["id"] = r.id
    if r.condition is not None:
        out["condition"] = r.condition
    if r.parent_conditions:
        out["parentConditions"] = [
            {"id": p.flag, "condition": p.condition, "gate": p.gate} for p in r.parent_conditions
        ]
    if r.filters:
        out["filters"] = [
            {
                "seed": f.seed,
                "ranges": [list(x) for x in f.ranges],
                "attribute": f.attribute,
                "hashVersion": f.hash_version,
            }
            for f in r.filters
        ]
    if r.kind == "prerequisite":
        return out
    if r.kind == "force":
        out["force"] = r.value
    else:
        out["variations"] = list(r.variations)
        _put(out, "key", r.key)
        _put(out, "weights", None if r.weights is None else list(r.weights))
        _put(out, "ranges", None if r.ranges is None else [list(x) for x in r.ranges])
        if r.namespace is not None:
            out["namespace"] = [r.namespace.id, r.namespace.start, r.namespace.end]
        if r.meta:
            out["meta"] = [_meta(m.key, m.name, m.passthrough) for m in r.meta]
    _put(out, "coverage", r.coverage)
    _put(out, "range", None if r.range is None else list(r.range))
    out["hashAttribute"] = r.hash_attribute
    _put(out, "fallbackAttribute", r.fallback_attribute)
    _put(out, "seed", r.seed)
    out["hashVersion"] = r.hash_version
    return out


def _meta(key: str | None, name: str | None, passthrough: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "key", key)
    _put(out, "name", name)
    if passthrough:
        out["passthrough"] = True
    return out


def _put(out: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        out[name] = value


def _date(ruleset: Ruleset) -> str:
    when = datetime.fromtimestamp(ruleset.version / 1000, tz=UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
