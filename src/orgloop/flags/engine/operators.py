"""The closure compiler of targeting conditions: one small test per operator, GrowthBook's meanings.

``Compiler`` turns a condition document into nested closures and collects a field-path error for
each operator it cannot honour (such an operator never matches).  ``conditions`` uses it directly
for validation and, for the operators it does not inline, inside its generated predicates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orgloop.flags.engine.jsvalues import (
    REGEX_MAX_INPUT,
    compile_regex,
    js_compare,
    js_json,
    js_number,
    js_strict_eq,
    js_string,
    js_truthy,
    js_type,
    padded_version,
    padded_version_cached,
)

Attributes = Mapping[str, Any]
Predicate = Callable[[Attributes], bool]
ValueTest = Callable[[Any], bool]
SavedGroups = Mapping[str, Sequence[Any]]

NUMBER = (int, float)
_EMPTY: dict[str, Any] = {}


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def is_operator_object(value: Any) -> bool:
    """A dict whose keys all start with ``$`` (GrowthBook's ``isOperatorObject``)."""
    return isinstance(value, dict) and bool(value) and all(k[:1] == "$" for k in value)


def getter(key: str) -> Callable[[Attributes], Any]:
    if "." not in key:
        return lambda attrs: attrs.get(key)
    parts = tuple(key.split("."))

    def get_path(attrs: Attributes) -> Any:
        current: Any = attrs
        for part in parts:
            if isinstance(current, dict) and part in current:
                current = current[part]
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return None
        return current

    return get_path


def _all_of(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda x: a(x) and b(x)
    if len(tests) == 3:
        a, b, c = tests
        return lambda x: a(x) and b(x) and c(x)
    frozen = tuple(tests)
    return lambda x: all(t(x) for t in frozen)


def _negate(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda x: not test(x)


def _any_of(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if not tests:
        return _always  # GrowthBook: an empty $or passes
    frozen = tuple(tests)
    return lambda x: any(t(x) for t in frozen)


class Compiler:
    def __init__(self, saved_groups: SavedGroups) -> None:
        self.saved_groups = saved_groups
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> ValueTest:
        self.errors.append({"path": path, "message": message})
        return _never

    def document(self, condition: Any, path: str) -> Predicate:
        if not isinstance(condition, dict):
            return self.fail(path, "a condition must be an object")
        parts: list[Predicate] = []
        for key, arg in condition.items():
            sub = f"{path}.{key}"
            if key in ("$or", "$nor", "$and"):
                parts.append(self.logical(key, arg, sub))
            elif key == "$not":
                parts.append(_negate(self.document(arg, sub)))
            else:
                parts.append(self.attribute(key, arg, sub))
        return _all_of(parts)

    def logical(self, op: str, arg: Any, path: str) -> Predicate:
        if not isinstance(arg, list):
            return self.fail(path, f"{op} takes a list of conditions")
        subs = [self.document(c, f"{path}[{i}]") for i, c in enumerate(arg)]
        if op == "$and":
            return _all_of(subs)
        either = _any_of(subs)
        if op == "$nor":
            return lambda attrs: not either(attrs)
        return either

    def attribute(self, key: str, arg: Any, path: str) -> Predicate:
        get = getter(key)
        test = self.value(arg, path)
        if "." not in key:
            return lambda attrs: test(attrs.get(key))
        return lambda attrs: test(get(attrs))

    def value(self, expected: Any, path: str, insensitive: bool = False) -> ValueTest:
        """GrowthBook's ``evalConditionValue`` for one expected value."""
        if isinstance(expected, str):
            return _equals_string(expected, insensitive)
        if isinstance(expected, bool):
            return lambda v: v is not None and js_truthy(v) is expected
        if isinstance(expected, NUMBER):
            return lambda v: (v == expected) if type(v) in NUMBER else js_number(v) == expected
        if expected is None:
            return lambda v: v is None
        if not is_operator_object(expected):
            text = js_json(expected)
            return lambda v: js_json(v) == text
        return _all_of([self.operator(op, arg, f"{path}.{op}") for op, arg in expected.items()])

    def operator(self, op: str, arg: Any, path: str) -> ValueTest:
        build = _OPERATORS.get(op)
        if build is None:
            return self.fail(path, f"unknown operator {op}")
        return build(self, arg, path)

    def regex(self, arg: Any, path: str, ignore_case: bool) -> ValueTest:
        if not isinstance(arg, str):
            return self.fail(path, "a regular expression must be a string")
        try:
            pattern = compile_regex(arg, ignore_case=ignore_case)
        except ValueError as exc:
            return self.fail(path, str(exc))
        search = pattern.search

        def matches(v: Any) -> bool:
            text = v if type(v) is str else js_string(v)
            return len(text) <= REGEX_MAX_INPUT and search(text) is not None

        return matches


def _equals_string(expected: str, insensitive: bool) -> ValueTest:
    if insensitive:
        folded = expected.lower()
        return lambda v: js_string(v).lower() == folded
    return lambda v: (v == expected) if type(v) is str else js_string(v) == expected


def _key(value: Any, insensitive: bool) -> tuple[str, Any] | None:
    """An identity for JavaScript's SameValueZero on primitives; None for objects."""
    if isinstance(value, str):
        return ("s", value.lower() if insensitive else value)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, NUMBER):
        return ("n", float(value))
    if value is None:
        return ("z", None)
    return None  # two distinct objects are never the same value


def membership(expected: Sequence[Any], insensitive: bool = False) -> ValueTest:
    """GrowthBook's ``isIn``: an array attribute matches when any element is in ``expected``."""
    keys = frozenset(k for k in (_key(e, insensitive) for e in expected) if k is not None)
    if not insensitive and all(type(e) is str for e in expected):
        strings = frozenset(expected)

        def in_strings(v: Any) -> bool:
            if type(v) is str:
                return v in strings
            return type(v) is list and any(type(el) is str and el in strings for el in v)

        return in_strings

    def is_in(v: Any) -> bool:
        if type(v) is list:
            return any(_key(el, insensitive) in keys for el in v)
        return _key(v, insensitive) in keys

    return is_in


def _compare(op: str, expected: Any) -> ValueTest:
    """``$gt``-style comparison with JavaScript coercion, fast when both sides are numbers."""
    accept = {"$gt": (1,), "$gte": (0, 1), "$lt": (-1,), "$lte": (-1, 0)}[op]

    def slow(v: Any) -> bool:
        return js_compare(v, expected) in accept

    if type(expected) in NUMBER:
        fast: ValueTest = {
            "$gt": lambda v: v > expected,
            "$gte": lambda v: v >= expected,
            "$lt": lambda v: v < expected,
            "$lte": lambda v: v <= expected,
        }[op]
        return lambda v: fast(v) if type(v) in NUMBER else slow(v)
    return slow


def _strict_eq(expected: Any) -> ValueTest:
    if isinstance(expected, str):
        return lambda v: type(v) is str and v == expected
    return lambda v: js_strict_eq(v, expected)


VERSION_COMPARE = {
    "$veq": "==",
    "$vne": "!=",
    "$vgt": ">",
    "$vgte": ">=",
    "$vlt": "<",
    "$vlte": "<=",
}
"""Version operators as comparisons of padded version strings."""


def _version(op: str, expected: Any) -> ValueTest:
    # The constant side is padded once; the attribute side is remembered per distinct string.
    target, padded = padded_version(expected), padded_version_cached
    tests: dict[str, ValueTest] = {
        "$veq": lambda v: padded(v) == target,
        "$vne": lambda v: padded(v) != target,
        "$vgt": lambda v: padded(v) > target,
        "$vgte": lambda v: padded(v) >= target,
        "$vlt": lambda v: padded(v) < target,
        "$vlte": lambda v: padded(v) <= target,
    }
    return tests[op]


def _list_arg(c: Compiler, op: str, arg: Any, path: str) -> bool:
    if isinstance(arg, list):
        return True
    c.fail(path, f"{op} takes a list")
    return False


def _op_in(negate: bool, insensitive: bool) -> Callable[[Compiler, Any, str], ValueTest]:
    def build(c: Compiler, arg: Any, path: str) -> ValueTest:
        if not _list_arg(c, path.rsplit(".", 1)[-1], arg, path):
            return _never  # GrowthBook: $in and $nin with a non-list never match
        test = membership(arg, insensitive)
        return (lambda v: not test(v)) if negate else test

    return build


def _op_group(negate: bool) -> Callable[[Compiler, Any, str], ValueTest]:
    def build(c: Compiler, arg: Any, path: str) -> ValueTest:
        if not isinstance(arg, str):
            return c.fail(path, "a saved group is named by a string")
        test = membership(c.saved_groups.get(arg) or [])
        return (lambda v: not test(v)) if negate else test

    return build


def _op_all(insensitive: bool) -> Callable[[Compiler, Any, str], ValueTest]:
    def build(c: Compiler, arg: Any, path: str) -> ValueTest:
        if not _list_arg(c, path.rsplit(".", 1)[-1], arg, path):
            return _never
        tests = tuple(c.value(e, f"{path}[{i}]", insensitive) for i, e in enumerate(arg))

        def all_of(v: Any) -> bool:
            return type(v) is list and all(any(t(x) for x in v) for t in tests)

        if insensitive or not all(type(e) is str for e in arg):
            return all_of
        wanted = frozenset(arg)

        def all_strings(v: Any) -> bool:
            # Fast when every element is a string; coercions only for the others.
            if type(v) is not list:
                return False
            try:
                if wanted.issubset(v):
                    return True
            except TypeError:  # an object or array element: JavaScript's comparison decides
                return all_of(v)
            return any(x.__class__ is not str for x in v) and all_of(v)

        return all_strings

    return build


def _op_elem_match(c: Compiler, arg: Any, path: str) -> ValueTest:
    if is_operator_object(arg):
        test = c.value(arg, path)
        return lambda v: type(v) is list and any(js_truthy(x) and test(x) for x in v)
    doc = c.document(arg, path)

    def elem_match(v: Any) -> bool:
        if type(v) is not list:
            return False
        return any(js_truthy(x) and doc(x if isinstance(x, dict) else _EMPTY) for x in v)

    return elem_match


def _op_size(c: Compiler, arg: Any, path: str) -> ValueTest:
    test = c.value(arg, path)
    return lambda v: type(v) is list and test(len(v))


def _op_not(c: Compiler, arg: Any, path: str) -> ValueTest:
    test = c.value(arg, path)
    return lambda v: not test(v)


def _op_exists(c: Compiler, arg: Any, path: str) -> ValueTest:
    if js_truthy(arg):
        return lambda v: v is not None
    return lambda v: v is None


def _op_type(c: Compiler, arg: Any, path: str) -> ValueTest:
    if arg not in ("string", "number", "boolean", "object", "array", "null", "undefined"):
        return c.fail(path, f"unknown type {arg!r}")
    return lambda v: js_type(v) == arg


def _simple(
    make: Callable[[str, Any], ValueTest], op: str
) -> Callable[[Compiler, Any, str], ValueTest]:
    return lambda c, arg, path: make(op, arg)


_OPERATORS: dict[str, Callable[[Compiler, Any, str], ValueTest]] = {
    "$eq": lambda c, arg, path: _strict_eq(arg),
    "$ne": lambda c, arg, path: (lambda t: lambda v: not t(v))(_strict_eq(arg)),
    **{op: _simple(_compare, op) for op in ("$gt", "$gte", "$lt", "$lte")},
    **{op: _simple(_version, op) for op in ("$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte")},
    "$in": _op_in(negate=False, insensitive=False),
    "$nin": _op_in(negate=True, insensitive=False),
    "$ini": _op_in(negate=False, insensitive=True),
    "$nini": _op_in(negate=True, insensitive=True),
    "$inGroup": _op_group(negate=False),
    "$notInGroup": _op_group(negate=True),
    "$all": _op_all(insensitive=False),
    "$alli": _op_all(insensitive=True),
    "$elemMatch": _op_elem_match,
    "$size": _op_size,
    "$not": _op_not,
    "$exists": _op_exists,
    "$type": _op_type,
    "$regex": lambda c, arg, path: c.regex(arg, path, ignore_case=False),
    "$regexi": lambda c, arg, path: c.regex(arg, path, ignore_case=True),
}
"""Operator name -> builder of its test; the README lists their meaning."""
