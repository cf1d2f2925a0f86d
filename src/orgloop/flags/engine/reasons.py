"""An evaluation ``Result`` in OpenFeature's terms: reason, variant, metadata or error code.

Shared by the SDK's OpenFeature provider (local evaluation) and the server's OFREP endpoints
(remote evaluation), so both answer alike. Reasons follow the engine's ``source``:

| source | reason | variant | value |
|---|---|---|---|
| `experiment` | `SPLIT` | the variation's key | the variation |
| `force` | `TARGETING_MATCH` | the rule id (if any) | the forced value |
| `defaultValue` | `STATIC` when the flag has no rules here, else `DEFAULT` | none | the flag's default |
| `disabled`, `prerequisite` | `DISABLED` | none | the caller's default |
| `unknownFeature` | `ERROR`, `FLAG_NOT_FOUND` | none | the caller's default |
| `cyclicPrerequisite` | `ERROR`, `GENERAL` | none | the caller's default |

A value of ``None`` (JSON ``null``) is not a value in OpenFeature: the caller's default applies,
with reason ``DEFAULT``. Error codes and reasons are OpenFeature's strings, so this module needs
nothing but the engine.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from orgloop.flags.engine.assignment import Result
from orgloop.flags.engine.ruleset import Flag

Metadata = dict[str, bool | int | float | str]


class Resolution(NamedTuple):
    """What an OpenFeature provider answers; ``has_value`` False means "use the caller's default"."""

    reason: str
    value: Any = None
    has_value: bool = False
    variant: str | None = None
    metadata: Metadata = {}  # a NamedTuple default, never mutated
    error_code: str | None = None
    error_message: str | None = None


def openfeature_resolution(key: str, result: Result, flag: Flag | None) -> Resolution:
    """The OpenFeature resolution of ``result`` (flag ``key``; ``flag`` as the ruleset holds it)."""
    source = result.source
    if source == "unknownFeature":
        return Resolution("ERROR", error_code="FLAG_NOT_FOUND", error_message=_missing(key))
    if source == "cyclicPrerequisite":
        message = f"flag {key!r} has cyclic prerequisites"
        return Resolution("ERROR", error_code="GENERAL", error_message=message)
    if source in ("disabled", "prerequisite"):
        return Resolution("DISABLED")
    if result.value is None:
        return Resolution("DEFAULT")
    if source == "experiment":
        return Resolution(
            "SPLIT", result.value, True, result.variation_key, experiment_metadata(result)
        )
    if source == "force":
        return Resolution("TARGETING_MATCH", result.value, True, result.rule_id or None, {})
    static = flag is not None and not flag.rules
    return Resolution("STATIC" if static else "DEFAULT", result.value, True, None, {})


def experiment_metadata(result: Result) -> Metadata:
    """``experiment_key``, ``variation`` and ``variation_id`` of an experiment assignment."""
    meta: Metadata = {"experiment_key": str(result.experiment_key)}
    if result.variation_key is not None:
        meta["variation"] = result.variation_key
    if result.variation_id is not None:
        meta["variation_id"] = result.variation_id
    return meta


def _missing(key: str) -> str:
    return f"flag {key!r} is not in the ruleset"
