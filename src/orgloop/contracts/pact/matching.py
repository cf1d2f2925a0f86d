"""Pact request and response matching: does an actual request (or response) satisfy the
expected one of an interaction, given its matching rules?

Each function returns the list of ``Mismatch``es (empty when it matches). Requests must match
method (any case), path, query (every parameter, values in order, none unexpected), headers (names
in any case, unexpected headers allowed, comma-separated values compared item by item, media
types by type and parameters) and body (no unexpected keys). Responses match status, headers and
body, where unexpected keys are allowed, as the Pact specification says ("be liberal in what you
accept").
"""

from __future__ import annotations

from typing import Any

from orgloop.contracts.pact.body import BodyComparer, Mismatch
from orgloop.contracts.pact.matchers import check, show
from orgloop.contracts.pact.parts import Body, Request, Response, read_body, read_rules
from orgloop.contracts.pact.rules import Category, RuleList

__all__ = [
    "Mismatch",
    "match_body",
    "match_headers",
    "match_message",
    "match_query",
    "match_request",
    "match_response",
]
_MEDIA_HEADERS = {"content-type", "accept"}


def match_request(expected: Request, actual: Request) -> list[Mismatch]:
    """Everything that differs between the request a consumer expects and one it made."""
    rules = expected.rules
    out: list[Mismatch] = []
    if expected.method.upper() != actual.method.upper():
        out.append(Mismatch("$.method", f"Expected method {expected.method} but received {actual.method}", "method"))  # fmt: skip
    out += _match_path(expected.path, actual.path, rules.category("path"))
    out += match_query(expected.query, actual.query, rules.category("query"))
    out += match_headers(expected.headers, actual.headers, rules.category("header"))
    out += match_body(expected.body, actual.body, rules.category("body"), request=True)
    return out


def match_response(expected: Response, actual: Response) -> list[Mismatch]:
    """Everything that differs between the response a consumer expects and one it received."""
    rules = expected.rules
    out: list[Mismatch] = []
    out += _match_status(expected.status, actual.status, rules.category("status"))
    out += match_headers(expected.headers, actual.headers, rules.category("header"))
    out += match_body(expected.body, actual.body, rules.category("body"), request=False)
    return out


def match_message(expected: dict[str, Any], actual: dict[str, Any], *, major: int = 3) -> list[Mismatch]:  # fmt: skip
    """A v3 message: its ``contents`` compared like a response body, and its ``metaData``."""

    def as_body(raw: dict[str, Any]) -> Body:
        return read_body({"body": raw["contents"]} if "contents" in raw else {}, major, {}, "$")

    rules = read_rules(expected.get("matchingRules"), major, "$.matchingRules")
    out = match_body(as_body(expected), as_body(actual), rules.category("body"), request=False, root="$.contents")  # fmt: skip
    metadata = actual.get("metaData") or {}
    for key, value in (expected.get("metaData") or {}).items():
        if key not in metadata or metadata[key] != value:
            out.append(Mismatch(f"$.metaData.{key}", f"Expected metadata {key}={value!r} but received {metadata.get(key)!r}", "metadata"))  # fmt: skip
    return out


def match_body(expected: Body, actual: Body, rules: Category, *, request: bool, root: str = "$.body") -> list[Mismatch]:  # fmt: skip
    """A body compared with its rules; an absent expected body accepts anything."""
    if not expected.present:
        return []
    if expected.is_empty:
        if actual.is_empty:
            return []
        return [Mismatch(root, f"Expected an empty body but received {show(actual.value)}")]
    if not actual.present or actual.value is None:
        return [Mismatch(root, f"Expected body {show(expected.value)} but it was missing")]
    walker = BodyComparer(rules, allow_unexpected_keys=not request, root=root)
    return walker.compare(("$",), expected.value, actual.value)


def _match_path(expected: str, actual: str, rules: Category) -> list[Mismatch]:
    rule_list = rules.get("")
    if rule_list is not None:
        problems = _apply(rule_list, expected, actual)
    else:
        problems = [] if expected == actual else [f"Expected path {expected!r} but received {actual!r}"]  # fmt: skip
    return [Mismatch("$.path", p, "path") for p in problems]


def _match_status(expected: int | None, actual: int | None, rules: Category) -> list[Mismatch]:
    if expected is None:
        return []
    rule_list = rules.get("")
    if rule_list is not None:
        problems = _apply(rule_list, expected, actual)
    else:
        problems = [] if expected == actual else [f"Expected status {expected} but received {actual}"]  # fmt: skip
    return [Mismatch("$.status", p, "status") for p in problems]


def match_query(expected: dict[str, list[str]], actual: dict[str, list[str]], rules: Category) -> list[Mismatch]:  # fmt: skip
    """Every expected parameter with its values in order; unexpected parameters are mismatches."""
    out = []
    for name, values in expected.items():
        where = f"$.query.{name}"
        if name not in actual:
            out.append(Mismatch(where, f"Expected query parameter {name!r} but it was missing", "query"))  # fmt: skip
            continue
        rule_list = rules.get(name)
        got = actual[name]
        if rule_list is not None:
            for index, value in enumerate(got):
                example = values[index] if index < len(values) else (values[0] if values else "")
                out += [Mismatch(where, p, "query") for p in _apply(rule_list, example, value)]
        elif values != got:
            out.append(Mismatch(where, f"Expected query parameter {name!r} with value(s) {values} but received {got}", "query"))  # fmt: skip
    for name in actual:
        if name not in expected:
            out.append(Mismatch(f"$.query.{name}", f"Unexpected query parameter {name!r} received", "query"))  # fmt: skip
    return out


def match_headers(expected: dict[str, str], actual: dict[str, str], rules: Category) -> list[Mismatch]:  # fmt: skip
    """Expected headers by name in any case; extra actual headers are fine."""
    lowered = {k.lower(): v for k, v in actual.items()}
    rules_by_name = {k.lower(): v for k, v in rules.items()}
    out = []
    for name, value in expected.items():
        where = f"$.headers.{name}"
        got = lowered.get(name.lower())
        if got is None:
            out.append(Mismatch(where, f"Expected header {name!r} but it was missing", "header"))
            continue
        rule_list = rules_by_name.get(name.lower())
        if rule_list is not None:
            problems = _apply(rule_list, value, got)
        else:
            problems = _header_value_problems(name, value, got)
        out += [Mismatch(where, p, "header") for p in problems]
    return out


def _header_value_problems(name: str, expected: str, actual: str) -> list[str]:
    want = [v.strip() for v in expected.split(",")]
    got = [v.strip() for v in actual.split(",")]
    if name.lower() in _MEDIA_HEADERS and len(want) == len(got):
        if all(_same_media_type(w, g) for w, g in zip(want, got, strict=True)):
            return []
    elif want == got:
        return []
    return [f"Expected header {name!r} to have value {expected!r} but was {actual!r}"]


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    head, *params = [p.strip() for p in value.split(";")]
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"')
    return (head.lower() if "/" in head else head), parsed


def _same_media_type(expected: str, actual: str) -> bool:
    """Types in any case; every expected parameter present (charset in any case)."""
    want_type, want = _media_type(expected)
    got_type, got = _media_type(actual)
    if want_type != got_type:
        return False
    for key, value in want.items():
        other = got.get(key)
        same = other is not None and (other.lower() == value.lower() if key == "charset" else other == value)  # fmt: skip
        if not same:
            return False
    return True


def _apply(rule_list: RuleList, expected: Any, actual: Any) -> list[str]:
    results = [check(m, expected, actual) for m in rule_list.matchers]
    failures = [r for r in results if r is not None]
    if rule_list.combine == "OR" and len(failures) < len(results):
        return []
    return failures
