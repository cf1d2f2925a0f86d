"""Flag evaluation: a ruleset compiled once into closures, then evaluated in microseconds.

``Evaluator(ruleset).evaluate(key, attributes)`` walks a flag's rules in order, as GrowthBook's
``evalFeature`` does: prerequisites, filters, condition, then a forced value (optionally a
percentage rollout) or an experiment assignment. Results that do not depend on the unit are built
once at compile time and shared. ``explain=True`` also records each step in words, for
``orgloop flags explain``; the fast path never builds those strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from orgloop.flags.engine.assignment import (
    Guard,
    Result,
    compile_experiment,
    compile_filters,
    compile_rollout,
    make_result,
)
from orgloop.flags.engine.conditions import Attributes, SavedGroups, compile_condition
from orgloop.flags.engine.ruleset import Flag, Rule, Ruleset

__all__ = ["Evaluator", "Result", "compile_fast", "evaluate"]

_new = tuple.__new__  # skips NamedTuple's Python-level __new__ on the hot path
_UNKNOWN = make_result(None, "unknownFeature")

Trace = list[str] | None
Stack = frozenset[str]
FlagFn = Callable[[Attributes, Stack, Trace], Result]
RuleFn = Callable[[Attributes, Stack, Trace], Result | None]

_NO_STACK: Stack = frozenset()


class Evaluator:
    """Every flag of a ruleset, compiled; safe to share between threads (it never mutates)."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._flags: dict[str, FlagFn] = {}
        # Flags without prerequisites (nearly all) also get a one-argument function for the
        # hot path: no stack of flags above them, no trace, fewer calls per evaluation.
        self.functions: dict[str, Callable[[Attributes], Result]] = {}
        """Flag key -> ``attributes -> Result``: what ``evaluate`` runs without ``explain``."""
        for key, flag in ruleset.flags.items():
            self._flags[key] = _compile_flag(flag, self)
            fast = compile_fast(flag, ruleset.saved_groups)
            self.functions[key] = fast or _without_trace(self._flags[key])

    def evaluate(self, flag_key: str, attributes: Attributes, *, explain: bool = False) -> Result:
        """The result for one unit; ``explain`` fills ``Result.explanation`` step by step."""
        if not explain:
            fast = self.functions.get(flag_key)
            return _UNKNOWN if fast is None else fast(attributes)
        run = self._flags.get(flag_key)
        trace: list[str] = []
        if run is None:
            trace.append(f"flag {flag_key!r} is not in this ruleset")
            result = make_result(None, "unknownFeature")
        else:
            result = run(attributes, _NO_STACK, trace)
        return result._replace(explanation=tuple(trace))

    def value(self, flag_key: str, attributes: Attributes, default: Any = None) -> Any:
        """Just the value (``default`` when the flag is unknown, disabled or has none)."""
        fast = self.functions.get(flag_key)
        if fast is None:
            return default
        value = fast(attributes)[0]
        return default if value is None else value

    def _parent(self, key: str, attributes: Attributes, stack: Stack, trace: Trace) -> Result:
        run = self._flags.get(key)
        if key in stack:
            return make_result(None, "cyclicPrerequisite")
        if run is None:
            return make_result(None, "unknownFeature")
        if trace is None:
            return run(attributes, stack, None)
        steps: list[str] = []
        result = run(attributes, stack, steps)
        trace.extend(f"  {key}: {step}" for step in steps)
        return result


def _without_trace(run: FlagFn) -> Callable[[Attributes], Result]:
    return lambda attrs: run(attrs, _NO_STACK, None)


def evaluate(
    ruleset: Ruleset, flag_key: str, attributes: Attributes, *, explain: bool = False
) -> Result:
    """Compile and evaluate once; keep an ``Evaluator`` to evaluate many times."""
    return Evaluator(ruleset).evaluate(flag_key, attributes, explain=explain)


def _compile_flag(flag: Flag, evaluator: Evaluator) -> FlagFn:
    key = flag.key
    if not flag.enabled:
        disabled = make_result(None, "disabled")

        def run_disabled(attrs: Attributes, stack: Stack, trace: Trace) -> Result:
            if trace is not None:
                trace.append(f"flag {key!r} is disabled in this environment")
            return disabled

        return run_disabled
    default = make_result(flag.default_value, "defaultValue")
    rules = tuple(_compile_rule(flag, i, rule, evaluator) for i, rule in enumerate(flag.rules))
    # Only flags with prerequisites need to know which flags are being evaluated above them.
    needs_stack = any(rule.parent_conditions for rule in flag.rules)

    def run(attrs: Attributes, stack: Stack, trace: Trace) -> Result:
        if rules:
            inner = stack | {key} if needs_stack else stack
            for rule in rules:
                found = rule(attrs, inner, trace)
                if found is not None:
                    return found
        if trace is not None:
            trace.append(f"no rule applied: default value {flag.default_value!r}")
        return default

    return run


def _label(index: int, rule: Rule) -> str:
    return f"rule {index + 1}" + (f" ({rule.id})" if rule.id else "") + f" [{rule.kind}]"


def _compile_rule(flag: Flag, index: int, rule: Rule, evaluator: Evaluator) -> RuleFn:
    label = _label(index, rule)
    groups = evaluator.ruleset.saved_groups
    guards: list[tuple[str, Guard]] = []
    if rule.filters:
        guards.append(("filtered out", compile_filters(rule.filters)))
    if rule.condition:
        guards.append(
            ("condition did not match", compile_condition(rule.condition, saved_groups=groups))
        )
    if rule.kind == "force":
        rollout = compile_rollout(flag, rule)
        if rollout is not None:
            guards.append(("unit not in the rollout percentage", rollout))
        outcome = _constant(make_result(rule.value, "force", rule.id))
    elif rule.kind == "experiment":
        outcome = compile_experiment(flag, rule)
    else:
        outcome = _constant(None)  # a pure prerequisite rule: passing it just goes on
    parents = _compile_parents(rule, evaluator, label) if rule.parent_conditions else None
    frozen = tuple(guards)
    return _assemble(label, parents, frozen, outcome)


def _constant(result: Result | None) -> Callable[[Attributes], Result | None]:
    return lambda attrs: result


def _assemble(
    label: str,
    parents: RuleFn | None,
    guards: tuple[tuple[str, Guard], ...],
    outcome: Callable[[Attributes], Result | None],
) -> RuleFn:
    only = guards[0][1] if len(guards) == 1 else None
    fast = _fast_path(label, parents, guards, outcome)
    if fast is not None:
        return fast

    def run(attrs: Attributes, stack: Stack, trace: Trace) -> Result | None:
        if parents is not None:
            blocked = parents(attrs, stack, trace)
            if blocked is not None:
                return None if blocked is _SKIP else blocked
        if trace is None:
            if only is not None:
                return outcome(attrs) if only(attrs) else None
            for _, guard in guards:
                if not guard(attrs):
                    return None
            return outcome(attrs)
        for reason, guard in guards:
            if not guard(attrs):
                trace.append(f"{label}: {reason}; skipped")
                return None
        result = outcome(attrs)
        trace.append(f"{label}: " + _describe(result))
        return result

    return run


def _fast_path(
    label: str,
    parents: RuleFn | None,
    guards: tuple[tuple[str, Guard], ...],
    outcome: Callable[[Attributes], Result | None],
) -> RuleFn | None:
    """Fewer calls for the common shapes (no prerequisites, at most one guard)."""
    if parents is not None or len(guards) > 1:
        return None
    reason, only = guards[0] if guards else ("", None)

    def run(attrs: Attributes, stack: Stack, trace: Trace) -> Result | None:
        if only is not None and not only(attrs):
            if trace is not None:
                trace.append(f"{label}: {reason}; skipped")
            return None
        result = outcome(attrs)
        if trace is not None:
            trace.append(f"{label}: " + _describe(result))
        return result

    return run


def _describe(result: Result | None) -> str:
    if result is None:
        return "unit not assigned (coverage, namespace, missing hash attribute or passthrough); skipped"
    if result.source == "experiment":
        return (
            f"experiment {result.experiment_key!r}: {result.hash_attribute}={result.hash_value!r} "
            f"hashed to bucket {result.bucket}, variation {result.variation_id} -> {result.value!r}"
        )
    return f"matched: value {result.value!r}"


_SKIP = make_result(None, "prerequisite")._replace(rule_id="\0skip")
"""Sentinel: a non-gating prerequisite failed, so only this rule is skipped."""


def _compile_parents(rule: Rule, evaluator: Evaluator, label: str) -> RuleFn:
    checks = tuple((p.flag, compile_condition(p.condition), p.gate) for p in rule.parent_conditions)
    blocked = make_result(None, "prerequisite")
    cyclic = make_result(None, "cyclicPrerequisite")

    def check(attrs: Attributes, stack: Stack, trace: Trace) -> Result | None:
        for parent_key, condition, gate in checks:
            parent = evaluator._parent(parent_key, attrs, stack, trace)
            if parent.source == "cyclicPrerequisite":
                if trace is not None:
                    trace.append(f"{label}: prerequisite {parent_key!r} depends on itself; stopped")
                return cyclic
            if condition({"value": parent.value}):
                continue
            if trace is not None:
                action = "flag blocked" if gate else "skipped"
                trace.append(
                    f"{label}: prerequisite {parent_key!r} = {parent.value!r} failed; {action}"
                )
            return blocked if gate else _SKIP
        return None

    return check


Outcome = Callable[[Attributes], Result | None]
FastFn = Callable[[Attributes], Result]


def compile_fast(flag: Flag, saved_groups: SavedGroups) -> FastFn | None:
    """The flag as one ``attributes -> Result`` function; None when it has prerequisites.

    The same rules as ``_compile_flag`` without the prerequisite stack and the trace, which
    only the explaining path needs.
    """
    if any(rule.parent_conditions for rule in flag.rules):
        return None
    if not flag.enabled:
        disabled = make_result(None, "disabled")
        return lambda attrs: disabled
    default = make_result(flag.default_value, "defaultValue")
    if len(flag.rules) == 1 and _plain_experiment(flag.rules[0]):
        return cast(FastFn, compile_experiment(flag, flag.rules[0], miss=default))
    rules = [r for r in (_fast_rule(flag, rule, saved_groups) for rule in flag.rules) if r]
    if not rules:
        return lambda attrs: default
    if len(rules) == 1:
        return _single_rule(*rules[0], default)

    def run(attrs: Attributes) -> Result:
        for guard, outcome in rules:
            if guard is None or guard(attrs):
                found = outcome if isinstance(outcome, tuple) else outcome(attrs)
                if found is not None:
                    return found
        return default

    return run


def _plain_experiment(rule: Rule) -> bool:
    return rule.kind == "experiment" and not rule.filters and not rule.condition


def _single_rule(
    guard: Guard | None, outcome: Result | Outcome, default: Result
) -> Callable[[Attributes], Result]:
    if isinstance(outcome, tuple):
        constant = outcome
        if guard is None:
            return lambda attrs: constant
        return lambda attrs: constant if guard(attrs) else default
    assign = outcome
    if guard is None:
        return lambda attrs: assign(attrs) or default
    return lambda attrs: (guard(attrs) and assign(attrs)) or default


def _fast_rule(
    flag: Flag, rule: Rule, saved_groups: SavedGroups
) -> tuple[Guard | None, Result | Outcome] | None:
    """A rule as ``(guard, constant result or assignment)``; None when it can never return."""
    guards: list[Guard] = []
    if rule.filters:
        guards.append(compile_filters(rule.filters))
    if rule.condition:
        guards.append(compile_condition(rule.condition, saved_groups=saved_groups))
    outcome: Result | Outcome
    if rule.kind == "force":
        rollout = compile_rollout(flag, rule)
        if rollout is not None:
            guards.append(rollout)
        outcome = make_result(rule.value, "force", rule.id)
    elif rule.kind == "experiment":
        outcome = compile_experiment(flag, rule)
    else:
        return None  # a prerequisite rule without prerequisites: passing it just goes on
    return _guard_of(guards), outcome


def _guard_of(guards: list[Guard]) -> Guard | None:
    if not guards:
        return None
    if len(guards) == 1:
        return guards[0]
    frozen = tuple(guards)
    return lambda attrs: all(g(attrs) for g in frozen)
