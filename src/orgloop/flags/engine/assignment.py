"""What a flag rule does to one unit, compiled once: the result type, filters, rollouts and
experiment assignment (GrowthBook's ``isFilteredOut``, ``isIncludedInRollout`` and
``runExperiment``, without sticky bucketing or overrides).  ``evaluation`` chains them into flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from orgloop.flags.engine.bucketing import get_bucket_ranges, in_namespace
from orgloop.flags.engine.conditions import Attributes
from orgloop.flags.engine.hashing import seeded
from orgloop.flags.engine.jsvalues import js_string, js_truthy
from orgloop.flags.engine.ruleset import Filter, Flag, Rule

Guard = Callable[[Attributes], bool]
_new = tuple.__new__  # skips NamedTuple's Python-level __new__ on the hot path

Source = Literal[
    "unknownFeature",
    "defaultValue",
    "force",
    "experiment",
    "prerequisite",
    "cyclicPrerequisite",
    "disabled",
]


class Result(NamedTuple):
    """The value a unit gets, and why."""

    value: Any
    on: bool
    off: bool
    source: Source
    rule_id: str = ""
    experiment_key: str | None = None
    variation_id: int | None = None
    variation_key: str | None = None
    in_experiment: bool = False
    hash_used: bool = False
    hash_attribute: str | None = None
    hash_value: Any = None
    bucket: float | None = None
    explanation: tuple[str, ...] = ()


def make_result(value: Any, source: Source, rule_id: str = "") -> Result:
    on = js_truthy(value)
    return Result(value, on, not on, source, rule_id)


def hash_value(attrs: Attributes, attribute: str, fallback: str | None) -> tuple[str, Any]:
    """The attribute a unit is hashed on (GrowthBook's ``getHashAttribute``), and its value."""
    value = attrs.get(attribute)
    if js_truthy(value):
        return attribute, value
    if fallback is not None:
        other = attrs.get(fallback)
        if js_truthy(other):
            return fallback, other
    return attribute, ""


def compile_filters(filters: tuple[Filter, ...]) -> Guard:
    """GrowthBook's ``isFilteredOut``, negated: true when the unit passes every filter."""
    compiled = tuple((f.attribute, seeded(f.hash_version, f.seed), f.ranges) for f in filters)

    def passes(attrs: Attributes) -> bool:
        for attribute, bucket_of, ranges in compiled:
            value = attrs.get(attribute)
            if bucket_of is None or not js_truthy(value):
                return False
            n = bucket_of(value if type(value) is str else js_string(value))
            if not any(start <= n < end for start, end in ranges):
                return False
        return True

    return passes


def compile_rollout(flag: Flag, rule: Rule) -> Guard | None:
    """GrowthBook's ``isIncludedInRollout`` for force rules; None when every unit is included."""
    if rule.range is None and rule.coverage is None:
        return None
    seed = rule.seed or flag.key
    bucket_of = seeded(rule.hash_version, seed)
    attribute, fallback, rng, coverage = (
        rule.hash_attribute,
        rule.fallback_attribute,
        rule.range,
        rule.coverage,
    )
    if bucket_of is None or (rng is None and coverage == 0):
        return lambda attrs: False

    def included(attrs: Attributes) -> bool:
        value = hash_value(attrs, attribute, fallback)[1]
        if not value:
            return False
        n = bucket_of(value if type(value) is str else js_string(value))
        if rng is not None:
            return rng[0] <= n < rng[1]
        return n <= coverage  # type: ignore[operator]

    return included


def compile_experiment(
    flag: Flag, rule: Rule, miss: Result | None = None
) -> Callable[[Attributes], Result | None]:
    """GrowthBook's ``runExperiment`` without sticky bucketing, overrides or tracking.

    A unit the experiment does not assign gets ``miss``: None (the next rule decides), or the
    flag's default when this is its only rule.
    """
    variations = rule.variations
    if len(variations) < 2:
        return lambda attrs: miss
    key = rule.key or flag.key
    seed = rule.seed or key
    bucket_of = seeded(rule.hash_version, seed)
    if bucket_of is None:
        return lambda attrs: miss
    ranges = rule.ranges or get_bucket_ranges(len(variations), rule.coverage, rule.weights)
    bounds = tuple((float(s), float(e)) for s, e in ranges)
    attribute, fallback, namespace = rule.hash_attribute, rule.fallback_attribute, rule.namespace
    check_namespace = namespace is not None and not rule.filters
    ns = (namespace.id, namespace.start, namespace.end) if namespace is not None else None
    meta = rule.meta
    keys = tuple(
        meta[i].key if i < len(meta) and meta[i].key else str(i) for i in range(len(variations))
    )
    passthrough = tuple(i < len(meta) and meta[i].passthrough for i in range(len(variations)))
    truthy = tuple(js_truthy(v) for v in variations)
    rule_id = rule.id

    # Per variation, everything of its result that does not depend on the unit.
    table = tuple(
        (start, end, i, variations[i], truthy[i], not truthy[i], keys[i])
        for i, (start, end) in enumerate(bounds)
    )

    def assign(attrs: Attributes) -> Result | None:
        value = attrs.get(attribute)
        if value.__class__ is str and value:
            hashed_on, text = attribute, value
        else:
            hashed_on, value = hash_value(attrs, attribute, fallback)
            if not value:
                return miss
            text = value if type(value) is str else js_string(value)
        if check_namespace and not in_namespace(text, ns):  # type: ignore[arg-type]
            return miss
        n = bucket_of(text)
        for start, end, i, variation, on, off, variation_key in table:
            if start <= n < end:
                if passthrough[i]:
                    return miss
                return _new(Result, (
                    variation, on, off, "experiment", rule_id, key, i, variation_key,
                    True, True, hashed_on, value, n, (),
                ))  # fmt: skip
        return miss

    return assign
