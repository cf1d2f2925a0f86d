"""What the server checks before it accepts a flag: the SDK is lenient, the server is not.

The evaluator quietly makes the best of a bad rule (unknown operator: no match; weights that do
not add up: equal weights; a prerequisite cycle: ``cyclicPrerequisite``). Here each of those is
refused with ``InvalidInput`` and the field path of the problem, e.g. ``rules[1].weights``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orgloop.flags.engine.conditions import condition_errors, invalid
from orgloop.flags.engine.hashing import hasher
from orgloop.flags.engine.ruleset import Flag, Rule, Ruleset

WEIGHT_SUM_TOLERANCE = 1e-6

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "json": lambda v: True,
}

Errors = list[dict[str, str]]


def flag_errors(flag: Flag, *, flags: Mapping[str, Flag] | None = None, path: str = "") -> Errors:
    """Every problem of one flag; ``flags`` (the environment's others) enables reference checks."""
    errors: Errors = []
    fits = _TYPE_TESTS[flag.type]
    if flag.default_value is not None and not fits(flag.default_value):
        errors.append(_err(f"{path}default_value", f"must be a {flag.type}"))
    for i, rule in enumerate(flag.rules):
        errors += _rule_errors(flag, rule, f"{path}rules[{i}]", flags)
    if flags is not None:
        errors += _cycle_errors({**flags, flag.key: flag}, flag.key, path)
    return errors


def validate_ruleset(ruleset: Ruleset) -> None:
    """Raise ``InvalidInput`` listing every problem of every flag (paths start ``flags.<key>.``)."""
    errors: Errors = []
    for key, flag in ruleset.flags.items():
        errors += flag_errors(flag, path=f"flags.{key}.")
        errors += _reference_errors(flag, ruleset.flags, f"flags.{key}.")
    for cycle in find_cycles(ruleset.flags):
        errors += _cycle_errors(ruleset.flags, cycle[0], f"flags.{cycle[0]}.")
    if errors:
        raise invalid(errors)


def find_cycles(flags: Mapping[str, Flag]) -> list[list[str]]:
    """Each prerequisite cycle once, as the flag keys along it (``[a, b, a]`` for a -> b -> a)."""
    graph = {key: _parents(flag) for key, flag in flags.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for parent in graph.get(node, ()):
            if state.get(parent) == 1:
                cycles.append([*path[path.index(parent) :], parent])
            elif parent not in state and parent in graph:
                visit(parent)
        path.pop()
        state[node] = 2

    for key in graph:
        if key not in state:
            visit(key)
    return cycles


def _parents(flag: Flag) -> list[str]:
    return list(dict.fromkeys(p.flag for r in flag.rules for p in r.parent_conditions))


def _cycle_errors(flags: Mapping[str, Flag], key: str, path: str) -> Errors:
    errors: Errors = []
    for cycle in find_cycles(flags):
        if key not in cycle[:-1]:
            continue
        start = cycle.index(key)
        parent, chain = cycle[start + 1], " -> ".join(cycle[start:] + cycle[1 : start + 1])
        for i, rule in enumerate(flags[key].rules):
            for j, p in enumerate(rule.parent_conditions):
                if p.flag == parent:
                    where = f"{path}rules[{i}].parent_conditions[{j}].flag"
                    errors.append(_err(where, f"prerequisites form a cycle: {chain}"))
        break
    return errors


def _reference_errors(flag: Flag, flags: Mapping[str, Flag], path: str) -> Errors:
    return [
        _err(f"{path}rules[{i}].parent_conditions[{j}].flag", f"unknown flag {p.flag!r}")
        for i, rule in enumerate(flag.rules)
        for j, p in enumerate(rule.parent_conditions)
        if p.flag not in flags
    ]


def _err(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _fraction(value: float | None, path: str) -> Errors:
    if value is None or 0 <= value <= 1:
        return []
    return [_err(path, "must be between 0 and 1")]


def _rule_errors(flag: Flag, rule: Rule, path: str, flags: Mapping[str, Flag] | None) -> Errors:
    errors: Errors = []
    if rule.condition is not None:
        errors += condition_errors(rule.condition, path=f"{path}.condition")
    for j, parent in enumerate(rule.parent_conditions):
        errors += condition_errors(
            parent.condition, path=f"{path}.parent_conditions[{j}].condition"
        )
        if flags is not None and parent.flag not in flags and parent.flag != flag.key:
            errors.append(
                _err(f"{path}.parent_conditions[{j}].flag", f"unknown flag {parent.flag!r}")
            )
    errors += _fraction(rule.coverage, f"{path}.coverage")
    if rule.range is not None and not 0 <= rule.range[0] <= rule.range[1] <= 1:
        errors.append(_err(f"{path}.range", "must satisfy 0 <= start <= end <= 1"))
    for k, f in enumerate(rule.filters):
        if hasher(f.hash_version) is None:
            errors.append(_err(f"{path}.filters[{k}].hash_version", "unknown hash version"))
    if rule.kind != "prerequisite" and hasher(rule.hash_version) is None:
        errors.append(_err(f"{path}.hash_version", f"unknown hash version {rule.hash_version!r}"))
    if rule.kind == "force" and rule.value is not None and not _TYPE_TESTS[flag.type](rule.value):
        errors.append(_err(f"{path}.value", f"must be a {flag.type}"))
    if rule.kind == "experiment":
        errors += _experiment_errors(flag, rule, path)
    return errors


def _experiment_errors(flag: Flag, rule: Rule, path: str) -> Errors:
    errors: Errors = []
    n = len(rule.variations)
    if n < 2:
        errors.append(_err(f"{path}.variations", "an experiment needs at least two variations"))
    fits = _TYPE_TESTS[flag.type]
    errors += [
        _err(f"{path}.variations[{k}]", f"must be a {flag.type}")
        for k, v in enumerate(rule.variations)
        if not fits(v)
    ]
    if rule.weights is not None:
        errors += _weight_errors(rule.weights, n, f"{path}.weights")
    if rule.ranges is not None and len(rule.ranges) != n:
        errors.append(_err(f"{path}.ranges", "needs one range per variation"))
    if len(rule.meta) > n:
        errors.append(_err(f"{path}.meta", "has more entries than there are variations"))
    ns = rule.namespace
    if ns is not None and not 0 <= ns.start < ns.end <= 1:
        errors.append(_err(f"{path}.namespace", "must satisfy 0 <= start < end <= 1"))
    return errors


def _weight_errors(weights: tuple[float, ...], n: int, path: str) -> Errors:
    if len(weights) != n:
        return [_err(path, f"needs one weight per variation ({n})")]
    if any(w < 0 for w in weights):
        return [_err(path, "weights cannot be negative")]
    total = sum(weights)
    if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        return [_err(path, f"weights must add up to 1 (they add up to {total:g})")]
    return []
