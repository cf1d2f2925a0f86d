"""Comparison of an expected JSON body (with its matching rules) with an actual one.

The walk follows the reference Pact implementation: without a rule, values must be equal, lists
must have the same length and order, and maps must hold every expected key (extra keys are a
mismatch in requests only). A rule on a path applies to that path and cascades to what lies below
it; ``type`` rules on lists compare every actual item with the first expected item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orgloop.contracts.pact.matchers import check, json_equal, json_type, show
from orgloop.contracts.pact.rules import (
    ROOT,
    STAR,
    Category,
    Field,
    Index,
    Matcher,
    RuleList,
    Token,
    parse_path,
    path_weight,
)

Path = tuple[str | int, ...]
_CONTAINER_KINDS = ("values", "eachValue", "eachKey", "arrayContains")


@dataclass(frozen=True)
class Mismatch:
    """One difference: where (``$.body.animals[0].name``), what, and in which part."""

    path: str
    message: str
    part: str = "body"


def render_path(path: Path, root: str = "$") -> str:
    """``("$", "animals", 0, "name")`` -> ``$.animals[0].name`` (with ``root`` for ``$``)."""
    out = root
    for fragment in path[1:]:
        if isinstance(fragment, int):
            out += f"[{fragment}]"
        elif re.fullmatch(r"[A-Za-z_][\w-]*", fragment):
            out += f".{fragment}"
        else:
            out += f"['{fragment}']"
    return out


def _concrete_tokens(path: Path) -> tuple[Token, ...]:
    return (ROOT, *tuple(Index(f) if isinstance(f, int) else Field(f) for f in path[1:]))


class BodyComparer:
    """Walks expected and actual JSON together; one instance per comparison."""

    def __init__(
        self, rules: Category | list[tuple[tuple[Token, ...], RuleList]], *,
        allow_unexpected_keys: bool, root: str = "$", part: str = "body",
    ) -> None:  # fmt: skip
        if isinstance(rules, dict):
            self.rules = [
                (parse_path(k, f"matchingRules.body[{k!r}]"), v) for k, v in rules.items()
            ]
        else:
            self.rules = rules
        self.allow_unexpected_keys = allow_unexpected_keys
        self.root = root
        self.part = part

    def _mismatch(self, path: Path, message: str) -> Mismatch:
        return Mismatch(render_path(path, self.root), message, self.part)

    def best(self, path: Path) -> tuple[RuleList, bool] | None:
        """The rule list that applies to ``path`` and whether it cascades from an ancestor."""
        fragments = tuple(str(f) for f in path)
        best: tuple[int, int, RuleList] | None = None
        for tokens, rule_list in self.rules:
            weight = path_weight(tokens, fragments)
            if weight and (best is None or (weight, len(tokens)) > (best[0], best[1])):
                best = (weight, len(tokens), rule_list)
        if best is None:
            return None
        return best[2], best[1] < len(path)

    def compare(self, path: Path, expected: Any, actual: Any) -> list[Mismatch]:
        if isinstance(expected, dict) and isinstance(actual, dict):
            return self._maps(path, expected, actual)
        if isinstance(expected, list) and isinstance(actual, list):
            return self._lists(path, expected, actual)
        if isinstance(expected, dict | list):
            return [self._mismatch(path, _type_mismatch(expected, actual))]
        return self._values(path, expected, actual)

    # Leaves ---------------------------------------------------------------------------------

    def _values(self, path: Path, expected: Any, actual: Any) -> list[Mismatch]:
        found = self.best(path)
        if found is None:
            if json_equal(expected, actual):
                return []
            return [self._mismatch(path, f"Expected {_q(expected)} to be equal to {_q(actual)}")]
        rule_list, cascaded = found
        results = [_opt(check(m, expected, actual, cascaded=cascaded)) for m in rule_list.matchers]
        return [self._mismatch(path, msg) for msg in _combine(rule_list.combine, results)]

    # Maps -----------------------------------------------------------------------------------

    def _maps(self, path: Path, expected: dict[str, Any], actual: dict[str, Any]) -> list[Mismatch]:
        found = self.best(path)
        if found is None:
            if not expected and actual and not self.allow_unexpected_keys:
                return [self._mismatch(path, f"Expected an empty Map but received {show(actual)}")]
            return self._keys(path, expected, actual, False) + self._map_children(
                path, expected, actual
            )
        rule_list, cascaded = found
        children: list[Mismatch] | None = None
        results: list[list[str | Mismatch]] = []
        for matcher in rule_list.matchers:
            if not cascaded and matcher.kind in ("values", "eachValue"):
                results.append(list(self._each_value(path, matcher, expected, actual)))
                continue
            own: list[str | Mismatch] = _opt(check(matcher, expected, actual, cascaded=cascaded))
            if not cascaded and matcher.kind == "eachKey":
                own += [self._mismatch(path, m) for m in _each_key(matcher, actual)]
            if children is None:
                lenient = not cascaded and matcher.kind == "eachKey"
                children = self._keys(path, expected, actual, lenient)
                children += self._map_children(path, expected, actual)
            results.append(own + list(children))
        return [self._as_mismatch(path, r) for r in _combine(rule_list.combine, results)]

    def _keys(self, path: Path, expected: dict[str, Any], actual: dict[str, Any], lenient: bool) -> list[Mismatch]:  # fmt: skip
        out = []
        missing = [k for k in expected if k not in actual]
        if missing and not lenient:
            out.append(self._mismatch(path, f"Actual map is missing the following keys: {', '.join(missing)}"))  # fmt: skip
        extra = [k for k in actual if k not in expected]
        if extra and expected and not self.allow_unexpected_keys and not lenient:
            out.append(self._mismatch(path, f"Unexpected keys in map: {', '.join(extra)}"))
        return out

    def _map_children(self, path: Path, expected: dict[str, Any], actual: dict[str, Any]) -> list[Mismatch]:  # fmt: skip
        out: list[Mismatch] = []
        for key, value in expected.items():
            if key in actual:
                out += self.compare((*path, key), value, actual[key])
        return out

    def _each_value(self, path: Path, matcher: Matcher, expected: dict[str, Any], actual: dict[str, Any]) -> list[Mismatch]:  # fmt: skip
        walker = self._sub_walker(path, matcher)
        template = next(iter(expected.values()), None) if expected else None
        out: list[Mismatch] = []
        for key, value in actual.items():
            example = expected.get(key, template)
            if key in expected or expected:
                out += walker.compare((*path, key), example, value)
        return out

    def _sub_walker(self, path: Path, matcher: Matcher) -> BodyComparer:
        if matcher.kind != "eachValue":
            return self
        rules = tuple(matcher.get("rules", ()))
        scoped = [((*_concrete_tokens(path), STAR), RuleList(rules))] if rules else []
        return BodyComparer(scoped, allow_unexpected_keys=True, root=self.root, part=self.part)

    # Lists ----------------------------------------------------------------------------------

    def _lists(self, path: Path, expected: list[Any], actual: list[Any]) -> list[Mismatch]:
        found = self.best(path)
        if found is None:
            if not expected and actual:
                return [self._mismatch(path, f"Expected an empty List but received {show(actual)}")]
            out = self._list_content(path, expected, actual, pad=False)
            if len(expected) != len(actual):
                out.append(self._mismatch(path, f"Expected a List with {len(expected)} elements but received {len(actual)} elements"))  # fmt: skip
            return out
        rule_list, cascaded = found
        if not expected:
            return []
        contents: list[Mismatch] | None = None
        results: list[list[str | Mismatch]] = []
        for matcher in rule_list.matchers:
            if not cascaded and matcher.kind == "arrayContains":
                results.append(list(self._array_contains(path, matcher, expected, actual)))
            elif not cascaded and matcher.kind == "eachValue":
                walker = self._sub_walker(path, matcher)
                results.append(list(walker._list_content(path, expected, actual, pad=True)))
            else:
                own = _opt(check(matcher, expected, actual, cascaded=cascaded))
                if contents is None:
                    contents = self._list_content(path, expected, actual, pad=True)
                results.append(own + list(contents))
        return [self._as_mismatch(path, r) for r in _combine(rule_list.combine, results)]

    def _list_content(self, path: Path, expected: list[Any], actual: list[Any], *, pad: bool) -> list[Mismatch]:  # fmt: skip
        items = list(expected)
        if pad and expected and len(actual) > len(expected):
            items += [expected[0]] * (len(actual) - len(expected))
        out: list[Mismatch] = []
        for index, value in enumerate(items):
            child = (*path, index)
            if index < len(actual):
                out += self.compare(child, value, actual[index])
            elif self.best(child) is None:
                out.append(self._mismatch(path, f"Expected {_q(value)} ({index}) but was missing"))
        return out

    def _array_contains(self, path: Path, matcher: Matcher, expected: list[Any], actual: list[Any]) -> list[Mismatch]:  # fmt: skip
        variants = matcher.get("variants") or tuple((i, {}) for i in range(len(expected)))
        out = []
        for index, rules in variants:
            if index >= len(expected):
                out.append(self._mismatch(path, f"arrayContains: variant {index} is missing from the expected list"))  # fmt: skip
                continue
            walker = BodyComparer(rules, allow_unexpected_keys=self.allow_unexpected_keys)
            if not any(not walker.compare((ROOT,), expected[index], item) for item in actual):
                out.append(self._mismatch(path, f"Variant at index {index} ({show(expected[index])}) was not found in the actual list"))  # fmt: skip
        return out

    def _as_mismatch(self, path: Path, item: str | Mismatch) -> Mismatch:
        return item if isinstance(item, Mismatch) else self._mismatch(path, item)


def _each_key(matcher: Matcher, actual: dict[str, Any]) -> list[str]:
    out = []
    for key in actual:
        for rule in matcher.get("rules", ()):
            message = check(rule, key, key)
            if message:
                out.append(f"Key {key!r}: {message}")
    return out


def _opt(message: str | None) -> list[str | Mismatch]:
    return [] if message is None else [message]


def _combine(combine: str, results: list[list[Any]]) -> list[Any]:
    """AND: every problem of every matcher; OR: nothing if one matcher had no problem."""
    if combine == "OR" and any(not r for r in results):
        return []
    seen: list[Any] = []
    for result in results:
        seen += [item for item in result if item not in seen]
    return seen


def _type_mismatch(expected: Any, actual: Any) -> str:
    return (
        f"Type mismatch: Expected {json_type(expected)} {show(expected)} "
        f"but received {json_type(actual)} {show(actual)}"
    )


def _q(value: Any) -> str:
    return "'" + (show(value) if value is not None else "null") + "'"
