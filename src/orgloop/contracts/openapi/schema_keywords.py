"""Checks of one schema's own keywords (type, enum, bounds, pattern, ...) between two versions.

Each check compares the keyword in the base and the revision schema and adds events named by
suffix (``max-decreased``); ``rule_for`` turns a suffix into the id that fits where the schema
sits, and drops combinations oasdiff does not define (a response body has no ``max-set``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orgloop.contracts.openapi.model import Event, Site
from orgloop.contracts.openapi.rules import RULES

_OVERRIDES = {("response-body", "enum-value-removed"): "response-mediatype-enum-value-removed"}


def rule_for(site: Site, suffix: str) -> str | None:
    """The rule id for a change of kind ``suffix`` at ``site``, or None when there is none."""
    if site.kind == "property" and site.direction == "request" and site.read_only:
        # a read-only property is not sent: a type change does not matter, bounds are info
        variant = f"request-read-only-property-{suffix}"
        if variant in RULES:
            return variant
        if suffix.startswith(("type-", "list-of-types-")):
            return None
    if site.kind == "property" and site.direction == "response" and site.write_only:
        variant = f"response-write-only-property-{suffix}"
        return variant if variant in RULES else None
    rule_id = _OVERRIDES.get((site.prefix, suffix), f"{site.prefix}-{suffix}")
    return rule_id if rule_id in RULES else None


def add(out: list[Event], site: Site, suffix: str, detail: str, pointer: str = "") -> None:
    rule_id = rule_for(site, suffix)
    if rule_id is not None:
        out.append((rule_id, pointer, "", detail))


def show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def types_of(schema: dict[str, Any]) -> list[str]:
    """Declared types without ``null`` (3.1 lists or a 3.0 single type)."""
    value = schema.get("type")
    if isinstance(value, str):
        return [] if value == "null" else [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str) and t != "null"]
    return []


def is_nullable(schema: dict[str, Any]) -> bool:
    value = schema.get("type")
    return schema.get("nullable") is True or (isinstance(value, list) and "null" in value)


def _covered(sub: list[str], sup: list[str]) -> bool:
    """Every type in ``sub`` is accepted by ``sup`` (an integer is a number)."""
    return bool(sub) and all(t in sup or (t == "integer" and "number" in sup) for t in sub)


def check_type(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    bt, rt = types_of(b), types_of(r)
    bf, rf = b.get("format"), r.get("format")
    if bt == rt and bf == rf:
        return
    detail = f"{'/'.join(bt) or 'any'}{f' ({bf})' if bf else ''} -> "
    detail += f"{'/'.join(rt) or 'any'}{f' ({rf})' if rf else ''}"
    if (len(bt) > 1 or len(rt) > 1) and bt != rt:
        if set(bt) < set(rt):
            add(out, site, "list-of-types-widened", detail)
            return
        if set(rt) < set(bt):
            add(out, site, "list-of-types-narrowed", detail)
            return
    # the side that must accept the other's values: the server for requests, clients for responses
    narrow, wide = (bt, rt) if site.direction == "request" else (rt, bt)
    narrow_f, wide_f = (bf, rf) if site.direction == "request" else (rf, bf)
    format_ok = not wide_f or wide_f == narrow_f or (narrow_f, wide_f) in _FORMAT_WIDENING
    if bt == rt or not wide:
        type_ok = True
    else:
        type_ok = _covered(narrow, wide) or (not site.strongly_typed and wide == ["string"])
    concrete_swap = bool(bt) and bool(rt) and bt != rt and not _covered(narrow, wide)
    if not (type_ok and format_ok):
        add(out, site, "type-changed", detail)
    elif concrete_swap:
        add(out, site, "type-compatible", detail)
    elif site.direction == "request":
        add(out, site, "type-generalized", detail)
    else:
        add(out, site, "type-specialized", detail)


_FORMAT_WIDENING = {("int32", "int64"), ("float", "double")}


def check_nullable(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    before, after = is_nullable(b), is_nullable(r)
    if before != after:
        add(out, site, "became-nullable" if after else "became-not-nullable", "")


def _values(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    raw = schema.get(key)
    if not isinstance(raw, list):
        return None
    return {show(v): v for v in raw}


def check_enum(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    before, after = _values(b, "enum"), _values(r, "enum")
    if before is None and after is not None:
        add(out, site, "became-enum", "")
    elif before is not None and after is not None:
        for key in before.keys() - after.keys():
            add(out, site, "enum-value-removed", key)
        for key in after.keys() - before.keys():
            add(out, site, "enum-value-added", key)
    ext_before, ext_after = _values(b, "x-extensible-enum"), _values(r, "x-extensible-enum")
    if ext_before is not None:
        for key in ext_before.keys() - (ext_after or {}).keys():
            add(out, site, "x-extensible-enum-value-removed", key)


_BOUNDS = (
    ("maximum", "max"),
    ("minimum", "min"),
    ("maxLength", "max-length"),
    ("minLength", "min-length"),
    ("maxItems", "max-items"),
    ("minItems", "min-items"),
    ("minContains", "min-contains"),
    ("maxContains", "max-contains"),
    ("exclusiveMaximum", "exclusive-max"),
    ("exclusiveMinimum", "exclusive-min"),
)


def _number(value: Any) -> float | None:
    # 3.0 spells exclusiveMaximum as a boolean beside maximum; only 3.1 numbers are bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check_bounds(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    for key, name in _BOUNDS:
        before, after = _number(b.get(key)), _number(r.get(key))
        if before == after:
            continue
        if before is None:
            add(out, site, f"{name}-set", show(r.get(key)))
        elif after is None:
            add(out, site, f"{name}-unset", show(b.get(key)))
        else:
            suffix = "increased" if after > before else "decreased"
            add(out, site, f"{name}-{suffix}", f"{show(b.get(key))} -> {show(r.get(key))}")


_ANY_STRING = {".*", "^.*$", "^.*", ".*$", "^(.*)$"}


def check_pattern(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    # An empty pattern matches every string: it is no pattern (as oasdiff reads it).
    before, after = b.get("pattern") or None, r.get("pattern") or None
    if before == after:
        return
    if before is None:
        add(out, site, "pattern-added", show(after))
    elif after is None:
        add(out, site, "pattern-removed", show(before))
    elif after in _ANY_STRING:
        add(out, site, "pattern-generalized", f"{show(before)} -> {show(after)}")
    else:
        add(out, site, "pattern-changed", f"{show(before)} -> {show(after)}")


def _added_removed_changed(keyword: str, name: str) -> Callable[..., None]:
    def check(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
        if keyword not in b and keyword not in r:
            return
        before, after = b.get(keyword, _NONE), r.get(keyword, _NONE)
        if before is _NONE:
            add(out, site, f"{name}-added", show(after))
        elif after is _NONE:
            add(out, site, f"{name}-removed", show(before))
        elif show(before) != show(after):
            add(out, site, f"{name}-changed", f"{show(before)} -> {show(after)}")

    return check


_NONE: Any = object()

check_default = _added_removed_changed("default", "default-value")
check_const = _added_removed_changed("const", "const")


def check_presence(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    """3.1 keywords whose appearance or disappearance is the change."""
    for key, name in _PRESENCE:
        if (key in b) != (key in r):
            add(out, site, f"{name}-{'added' if key in r else 'removed'}", "")


_PRESENCE = (
    ("contains", "contains"),
    ("if", "if"),
    ("then", "then"),
    ("else", "else"),
    ("propertyNames", "property-names"),
    ("unevaluatedItems", "unevaluated-items"),
    ("unevaluatedProperties", "unevaluated-properties"),
    ("prefixItems", "prefix-items"),
    ("contentSchema", "content-schema"),
)


def check_content(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    for key, name in (
        ("contentMediaType", "content-media-type"),
        ("contentEncoding", "content-encoding"),
    ):
        if b.get(key) != r.get(key):
            add(out, site, f"{name}-changed", f"{b.get(key)} -> {r.get(key)}")


def _mapping(schema: dict[str, Any], key: str) -> dict[str, Any]:
    value = schema.get(key)
    return value if isinstance(value, dict) else {}


def check_keyed(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    """dependentRequired, dependentSchemas and patternProperties, compared key by key."""
    for key, name, compare in (
        ("dependentRequired", "dependent-required", True),
        ("dependentSchemas", "dependent-schema", False),
        ("patternProperties", "pattern-property", False),
    ):
        before, after = _mapping(b, key), _mapping(r, key)
        for k in before.keys() - after.keys():
            add(out, site, f"{name}-removed", k)
        for k in after.keys() - before.keys():
            add(out, site, f"{name}-added", k)
        if compare:
            for k in before.keys() & after.keys():
                if show(before[k]) != show(after[k]):
                    add(out, site, f"{name}-changed", k)


def check_discriminator(site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]) -> None:
    before, after = b.get("discriminator"), r.get("discriminator")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return
    if not isinstance(before, dict):
        add(out, site, "discriminator-added", "")
        return
    if not isinstance(after, dict):
        add(out, site, "discriminator-removed", "")
        return
    if before.get("propertyName") != after.get("propertyName"):
        detail = f"{before.get('propertyName')} -> {after.get('propertyName')}"
        add(out, site, "discriminator-property-name-changed", detail)
    bm, rm = _mapping(before, "mapping"), _mapping(after, "mapping")
    for k in bm.keys() - rm.keys():
        add(out, site, "discriminator-mapping-deleted", k)
    for k in rm.keys() - bm.keys():
        add(out, site, "discriminator-mapping-added", k)
    for k in bm.keys() & rm.keys():
        if bm[k] != rm[k]:
            add(out, site, "discriminator-mapping-changed", k)


KEYWORD_CHECKS = (
    check_type,
    check_nullable,
    check_enum,
    check_bounds,
    check_pattern,
    check_default,
    check_const,
    check_presence,
    check_content,
    check_keyed,
    check_discriminator,
)
