"""Eppo's UFC test data as an extra oracle, through an adapter from UFC flags to orgloop flags.

An allocation becomes one force rule per split: its rules become an ``$or`` of ``$and``
conditions, its shards become filters on the ``md5-shards`` hash version. Time windows
(``startAt``/``endAt``) are resolved when the adapter runs.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from orgloop.flags.engine.evaluation import Evaluator
from orgloop.flags.engine.ruleset import ruleset_from_dict
from tests.conformance import SUITES

_DIR = SUITES / "eppo-ufc"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+")
_COMPARE = {"GTE": "$gte", "GT": "$gt", "LTE": "$lte", "LT": "$lt"}


def _expand(values: list[Any]) -> list[Any]:
    """UFC compares string forms; orgloop's $in compares values, so list each plausible form."""
    out: list[Any] = []
    for v in values:
        out.append(v)
        if v in ("true", "false"):
            out.append(v == "true")
        else:
            with contextlib.suppress(TypeError, ValueError):
                out.append(float(v))
    return out


def ufc_condition(cond: dict[str, Any]) -> dict[str, Any]:
    attr, op, value = cond["attribute"], cond["operator"], cond["value"]
    if op == "ONE_OF":
        test: dict[str, Any] = {"$in": _expand(value)}
    elif op == "NOT_ONE_OF":
        test = {"$exists": True, "$nin": _expand(value)}
    elif op == "MATCHES":
        test = {"$exists": True, "$regex": value}
    elif op == "NOT_MATCHES":
        test = {"$exists": True, "$not": {"$regex": value}}
    elif op == "IS_NULL":
        test = {"$exists": not value}
    elif op in _COMPARE:
        semver = isinstance(value, str) and _SEMVER.match(value)
        key = "$v" + _COMPARE[op][1:] if semver else _COMPARE[op]
        test = {"$exists": True, key: value if semver else float(value)}
    else:
        raise NotImplementedError(op)
    return {attr: test}


def _active(allocation: dict[str, Any], now: datetime) -> bool:
    def at(name: str) -> datetime | None:
        text = allocation.get(name)
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    start, end = at("startAt"), at("endAt")
    return (start is None or now >= start) and (end is None or now < end)


def _typed_value(variation_type: str, value: Any) -> Any:
    """UFC's JSON variations are JSON text; a value of the wrong type serves the default (None)."""
    if variation_type == "JSON":
        return json.loads(value)
    if variation_type == "INTEGER" and not (
        isinstance(value, int | float) and float(value).is_integer()
    ):
        return None
    return value


def ufc_flag(flag: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC)
    total = flag.get("totalShards", 10000)
    rules = []
    for allocation in flag.get("allocations", []):
        if not _active(allocation, now):
            continue
        ors = [
            {"$and": [ufc_condition(c) for c in r["conditions"]]}
            for r in allocation.get("rules", [])
        ]
        for split in allocation["splits"]:
            variation = flag["variations"].get(split["variationKey"])
            if variation is None:
                continue
            filters = [
                {
                    "attribute": "id",
                    "seed": shard["salt"],
                    "hash_version": "md5-shards",
                    "ranges": [[r["start"] / total, r["end"] / total] for r in shard["ranges"]],
                }
                for shard in split["shards"]
            ]
            value = _typed_value(flag["variationType"], variation["value"])
            rule: dict[str, Any] = {"kind": "force", "value": value, "filters": filters}
            if ors:
                rule["condition"] = {"$or": ors}
            rules.append(rule)
    return {"enabled": flag["enabled"], "rules": rules}


def _cases() -> list[Any]:
    if not _DIR.exists():
        return [
            pytest.param(
                None, None, id="suite-missing", marks=pytest.mark.skip(reason=f"{_DIR} not found")
            )
        ]
    flags = json.loads((_DIR / "flags-v1.json").read_text())["flags"]
    out = []
    for path in sorted((_DIR / "tests").glob("*.json")):
        case = json.loads(path.read_text())
        for subject in case["subjects"]:
            out.append(pytest.param(case, subject, id=f"{case['flag']}:{subject['subjectKey']}"))
    return [flags, out]  # type: ignore[list-item]


_LOADED = _cases()
_FLAGS: dict[str, Any] = _LOADED[0] if len(_LOADED) == 2 and isinstance(_LOADED[0], dict) else {}
_PARAMS = _LOADED[1] if _FLAGS else _LOADED


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(ruleset_from_dict({"flags": {k: ufc_flag(f) for k, f in _FLAGS.items()}}))


@pytest.mark.parametrize(("case", "subject"), _PARAMS)
def test_assignment(evaluator: Evaluator, case: dict[str, Any], subject: dict[str, Any]) -> None:
    attributes = {"id": subject["subjectKey"], **subject["subjectAttributes"]}
    value = evaluator.value(case["flag"], attributes, default=case["defaultValue"])
    assert value == subject["assignment"]
