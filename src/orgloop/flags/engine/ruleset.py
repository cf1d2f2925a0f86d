"""The compiled per-environment ruleset: what the server sends and the SDK evaluates.

Plain frozen dataclasses, no framework: ``orgloop.sdk`` imports this module inside customers'
services. ``ruleset_from_dict`` reads the JSON payload and refuses a malformed one with
``InvalidInput`` and the field path of each problem; ``ruleset_to_dict`` writes it back. The
meaning of each field is in the engine's README.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, TypeVar, get_args

from orgloop.kernel.errors import InvalidInput

FlagType = Literal["boolean", "string", "number", "json"]
RuleKind = Literal["force", "experiment", "prerequisite"]
HashVersion = int | str
Range = tuple[float, float]

FLAG_TYPES: tuple[str, ...] = get_args(FlagType)
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)


@dataclass(frozen=True, slots=True)
class ParentCondition:
    """A prerequisite: ``condition`` is tested against ``{"value": <parent flag's value>}``."""

    flag: str
    condition: dict[str, Any] = field(default_factory=dict)
    gate: bool = False
    """A failing gate turns the whole flag off; a failing non-gate only skips its rule."""


@dataclass(frozen=True, slots=True)
class Filter:
    """A unit passes when its hash of ``attribute`` with ``seed`` falls in one of ``ranges``."""

    seed: str
    ranges: tuple[Range, ...]
    attribute: str = "id"
    hash_version: HashVersion = 2


@dataclass(frozen=True, slots=True)
class Namespace:
    """Mutually exclusive experiments share a namespace and take disjoint ``[start, end)``."""

    id: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class VariationMeta:
    key: str | None = None
    name: str | None = None
    passthrough: bool = False
    """A holdout's passthrough variation: the unit is in the experiment, the flag goes on."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule; which fields matter depends on ``kind`` (see the README)."""

    kind: RuleKind
    id: str = ""
    condition: dict[str, Any] | None = None
    parent_conditions: tuple[ParentCondition, ...] = ()
    filters: tuple[Filter, ...] = ()
    value: Any = None
    coverage: float | None = None
    range: Range | None = None
    hash_attribute: str = "id"
    fallback_attribute: str | None = None
    seed: str | None = None
    hash_version: HashVersion = 1
    key: str | None = None
    variations: tuple[Any, ...] = ()
    weights: tuple[float, ...] | None = None
    ranges: tuple[Range, ...] | None = None
    namespace: Namespace | None = None
    meta: tuple[VariationMeta, ...] = ()


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag as one environment sees it: on or off there, and its ordered rules."""

    key: str
    type: FlagType = "json"
    default_value: Any = None
    enabled: bool = True
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class Ruleset:
    """Everything an SDK needs to evaluate every flag of one environment locally."""

    environment: str = ""
    version: int = 0
    flags: dict[str, Flag] = field(default_factory=dict)
    saved_groups: dict[str, tuple[Any, ...]] = field(default_factory=dict)


class _Reader:
    """Reads untrusted JSON, collecting every problem with its path."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def typed(self, data: Mapping[str, Any], name: str, kinds: Any, path: str, default: Any) -> Any:
        value = data.get(name, default)
        if value is default:
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            self.fail(f"{path}.{name}" if path else name, f"must be {_describe(kinds)}")
            return default
        return value

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        self.fail(path, "must be an object")
        return {}

    def items(self, data: Mapping[str, Any], name: str, path: str) -> list[tuple[str, Any]]:
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(_join(path, name), "must be a list")
            return []
        return [(f"{_join(path, name)}[{i}]", v) for i, v in enumerate(value)]

    def range(self, value: Any, path: str) -> Range | None:
        if (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            return (float(value[0]), float(value[1]))
        self.fail(path, "must be a [start, end] pair of numbers")
        return None


def _tuple(kinds: Any) -> tuple[Any, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _describe(kinds: Any) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        dict: "an object",
    }
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in _tuple(kinds)))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_NUM = (int, float)
T = TypeVar("T")


def _read_list(
    r: _Reader, data: Mapping[str, Any], name: str, path: str, read: Callable[[Any, str], T | None]
) -> tuple[T, ...]:
    out = (read(v, p) for p, v in r.items(data, name, path))
    return tuple(v for v in out if v is not None)


def _read_parent(r: _Reader, value: Any, path: str) -> ParentCondition | None:
    data = r.obj(value, path)
    flag = r.typed(data, "flag", str, path, None)
    if flag is None:
        r.fail(f"{path}.flag", "is required")
        return None
    condition = r.typed(data, "condition", dict, path, {})
    return ParentCondition(
        flag=flag, condition=condition, gate=r.typed(data, "gate", bool, path, False)
    )


def _read_filter(r: _Reader, value: Any, path: str) -> Filter | None:
    data = r.obj(value, path)
    ranges = _read_list(r, data, "ranges", path, r.range)
    return Filter(
        seed=r.typed(data, "seed", str, path, ""),
        ranges=ranges,
        attribute=r.typed(data, "attribute", str, path, "id"),
        hash_version=r.typed(data, "hash_version", (int, str), path, 2),
    )


def _read_meta(r: _Reader, value: Any, path: str) -> VariationMeta:
    data = r.obj(value, path)
    return VariationMeta(
        key=r.typed(data, "key", str, path, None),
        name=r.typed(data, "name", str, path, None),
        passthrough=r.typed(data, "passthrough", bool, path, False),
    )


def _read_namespace(r: _Reader, value: Any, path: str) -> Namespace | None:
    if value is None:
        return None
    if isinstance(value, list | tuple) and len(value) == 3 and isinstance(value[0], str):
        bounds = r.range(value[1:], path)
        return None if bounds is None else Namespace(value[0], *bounds)
    r.fail(path, "must be [id, start, end]")
    return None


def _read_rule(r: _Reader, value: Any, path: str) -> Rule:
    data = r.obj(value, path)
    kind: RuleKind = "prerequisite"
    if data.get("kind") in RULE_KINDS:
        kind = data["kind"]
    else:
        r.fail(f"{path}.kind", f"must be one of {', '.join(RULE_KINDS)}")
    weights = r.typed(data, "weights", list, path, None)
    if weights is not None and not all(
        isinstance(w, _NUM) and not isinstance(w, bool) for w in weights
    ):
        r.fail(f"{path}.weights", "must be a list of numbers")
        weights = None
    rng = data.get("range")
    has_ranges = data.get("ranges") is not None
    return Rule(
        kind=kind,
        id=r.typed(data, "id", str, path, ""),
        condition=r.typed(data, "condition", dict, path, None),
        parent_conditions=_read_list(
            r, data, "parent_conditions", path, lambda v, p: _read_parent(r, v, p)
        ),
        filters=_read_list(r, data, "filters", path, lambda v, p: _read_filter(r, v, p)),
        value=data.get("value"),
        coverage=r.typed(data, "coverage", _NUM, path, None),
        range=None if rng is None else r.range(rng, f"{path}.range"),
        hash_attribute=r.typed(data, "hash_attribute", str, path, "id"),
        fallback_attribute=r.typed(data, "fallback_attribute", str, path, None),
        seed=r.typed(data, "seed", str, path, None),
        hash_version=r.typed(data, "hash_version", (int, str), path, 1),
        key=r.typed(data, "key", str, path, None),
        variations=tuple(r.typed(data, "variations", list, path, [])),
        weights=None if weights is None else tuple(float(w) for w in weights),
        ranges=_read_list(r, data, "ranges", path, r.range) if has_ranges else None,
        namespace=_read_namespace(r, data.get("namespace"), f"{path}.namespace"),
        meta=_read_list(r, data, "meta", path, lambda v, p: _read_meta(r, v, p)),
    )


def _read_flag(r: _Reader, key: str, value: Any, path: str) -> Flag:
    data = r.obj(value, path)
    flag_type = data.get("type", "json")
    if flag_type not in FLAG_TYPES:
        r.fail(f"{path}.type", f"must be one of {', '.join(FLAG_TYPES)}")
        flag_type = "json"
    return Flag(
        key=key,
        type=flag_type,
        default_value=data.get("default_value"),
        enabled=r.typed(data, "enabled", bool, path, True),
        rules=tuple(_read_rule(r, v, p) for p, v in r.items(data, "rules", path)),
    )


def flag_from_dict(data: Mapping[str, Any], *, path: str = "") -> Flag:
    """One flag from its JSON form; raises ``InvalidInput`` listing every malformed field."""
    r = _Reader()
    key = data.get("key") if isinstance(data, Mapping) else None
    if not isinstance(key, str) or not key:
        r.fail(_join(path, "key"), "is required")
    flag = _read_flag(r, key if isinstance(key, str) else "", data, path)
    _raise(r)
    return flag


def ruleset_from_dict(data: Any) -> Ruleset:
    """A ruleset from its JSON payload; raises ``InvalidInput`` listing every malformed field."""
    r = _Reader()
    root = r.obj(data, "")
    flags_data = r.typed(root, "flags", dict, "", {})
    groups = r.typed(root, "saved_groups", dict, "", {})
    ruleset = Ruleset(
        environment=r.typed(root, "environment", str, "", ""),
        version=r.typed(root, "version", int, "", 0),
        flags={k: _read_flag(r, k, v, f"flags.{k}") for k, v in flags_data.items()},
        saved_groups={k: tuple(v) if isinstance(v, list) else () for k, v in groups.items()},
    )
    _raise(r)
    return ruleset


def _raise(r: _Reader) -> None:
    if r.errors:
        first = r.errors[0]
        raise InvalidInput(f"{first['path']}: {first['message']}", details={"errors": r.errors})


def to_json(value: Any) -> Any:
    """Any model of this module as JSON-ready data (defaults left out to keep payloads small)."""
    if isinstance(value, Namespace):
        return [value.id, value.start, value.end]
    if isinstance(value, Ruleset | Flag | Rule | ParentCondition | Filter | VariationMeta):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if item != _default(f):
                out[f.name] = to_json(item)
        return out
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def ruleset_to_dict(ruleset: Ruleset) -> dict[str, Any]:
    """The JSON payload of a ruleset; ``ruleset_from_dict`` reads it back unchanged."""
    result: dict[str, Any] = to_json(ruleset)
    result["flags"] = {
        k: {kk: vv for kk, vv in v.items() if kk != "key"}
        for k, v in result.get("flags", {}).items()
    }
    return result
