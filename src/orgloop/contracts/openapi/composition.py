"""allOf, oneOf and anyOf: merge allOf, match oneOf/anyOf branches by name or content.

Branches are matched by ``$ref`` component name first, then by fingerprint, then by ``title``,
then by ``type`` where one unmatched anonymous branch on each side has it (a
``{type: string, maxLength: 10}`` that became ``maxLength: 20`` is that branch changed, not one
removed and another added), never by position, so reordering branches is not a change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgloop.contracts.openapi.document import Document, ref_name
from orgloop.contracts.openapi.model import Event, Site
from orgloop.contracts.openapi.schema_keywords import add, is_nullable
from orgloop.contracts.openapi.schema_walk import Differ, nest

_ANNOTATIONS = {"description", "title", "example", "examples", "deprecated", "externalDocs"}


def merged(doc: Document, schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The schema with its allOf branches folded in: properties and required are unions."""
    branches = schema.get("allOf")
    if not isinstance(branches, list) or not branches or depth > 16:
        return schema
    out: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[Any] = []
    for part in [*(doc.deref(b) for b in branches), schema]:
        if not isinstance(part, dict):
            continue
        view = merged(doc, part, depth + 1) if part is not schema else part
        for key, value in view.items():
            if key == "properties" and isinstance(value, dict):
                properties.update(value)
            elif key == "required" and isinstance(value, list):
                required.extend(v for v in value if v not in required)
            elif key != "allOf":
                out[key] = value
    if properties:
        out["properties"] = properties
    if required:
        out["required"] = required
    return out


def _label(node: Any, index: int) -> str:
    return ref_name(node) or (node.get("title") if isinstance(node, dict) else None) or f"#{index}"


def match(
    d: Differ, base: list[Any], rev: list[Any]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Indexes of removed and added branches, and the pairs matched by name or title."""
    left, right = set(range(len(base))), set(range(len(rev)))
    pairs: list[tuple[int, int]] = []
    keys: tuple[tuple[Callable[[Any], Any], Callable[[Any], Any]], ...] = (
        (ref_name, ref_name),
        (d.base.fingerprint, d.rev.fingerprint),
        (lambda n: _title(d.base.deref(n)), lambda n: _title(d.rev.deref(n))),
    )
    for base_key, rev_key in keys:
        index: dict[Any, int] = {}
        for j in sorted(right):
            k = rev_key(rev[j])
            if k is not None:
                index.setdefault(k, j)
        for i in sorted(left):
            k = base_key(base[i])
            j2 = index.get(k) if k is not None else None
            if j2 is not None and j2 in right:
                pairs.append((i, j2))
                left.discard(i)
                right.discard(j2)
    base_types = _unique_types(d.base, base, left)
    rev_types = _unique_types(d.rev, rev, right)
    for kind, i in base_types.items():
        partner = rev_types.get(kind)
        if partner is not None:
            pairs.append((i, partner))
            left.discard(i)
            right.discard(partner)
    return sorted(left), sorted(right), pairs


def _unique_types(doc: Document, branches: list[Any], unmatched: set[int]) -> dict[str, int]:
    """Among the unmatched anonymous branches, each ``type`` exactly one of them has."""
    seen: dict[str, list[int]] = {}
    for i in sorted(unmatched):
        if ref_name(branches[i]) is not None:
            continue  # a named component that left is removed, whatever its type
        node = doc.deref(branches[i])
        kind = node.get("type") if isinstance(node, dict) else None
        if isinstance(kind, str):
            seen.setdefault(kind, []).append(i)
    return {kind: found[0] for kind, found in seen.items() if len(found) == 1}


def _title(node: Any) -> str | None:
    return node.get("title") if isinstance(node, dict) else None


def diff_branches(
    d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]
) -> None:
    for keyword, name in (("allOf", "all-of"), ("oneOf", "one-of"), ("anyOf", "any-of")):
        base, rev = b.get(keyword) or [], r.get(keyword) or []
        if not isinstance(base, list) or not isinstance(rev, list) or (not base and not rev):
            continue
        removed, added, pairs = match(d, base, rev)
        for i in removed:
            suffix = "removed-annotation-only" if _annotation(d.base, base[i]) else "removed"
            add(out, site, f"{name}-{suffix}", _label(base[i], i))
        for j in added:
            suffix = "added-annotation-only" if _annotation(d.rev, rev[j]) else "added"
            add(out, site, f"{name}-{suffix}", _label(rev[j], j))
        if keyword == "allOf":
            continue  # allOf content is compared through the merged view
        for i, j in pairs:
            events = d.diff(site, base[i], rev[j])
            nest(out, events, f"{keyword}[{_label(rev[j], j)}]", f"/{keyword}/{j}")


def _annotation(doc: Document, node: Any) -> bool:
    target = doc.deref(node)
    return isinstance(target, dict) and bool(target) and set(target) <= _ANNOTATIONS


def null_wrapping(
    d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]
) -> bool:
    """``X`` that became ``oneOf: [{type: "null"}, X]`` (or ``anyOf``), or the reverse: with the
    same ``X`` inside, one became-nullable (or became-not-nullable) and nothing else; with a
    changed ``X``, the changes of ``X`` alone (not a pure nullability change)."""
    base_wrap, rev_wrap = _null_wrapped(d.base, b), _null_wrapped(d.rev, r)
    if (base_wrap is None) == (rev_wrap is None):
        return False
    if rev_wrap is not None:
        keyword, index, inner = rev_wrap
        events = d.diff(site, b, inner)
        nest(out, events, f"{keyword}[#{index}]", f"/{keyword}/{index}")
        before, after = is_nullable(b), True
    else:
        assert base_wrap is not None
        events = d.diff(site, base_wrap[2], r)
        out.extend(events)
        before, after = True, is_nullable(r)
    if not events and before != after:
        add(out, site, "became-nullable" if after else "became-not-nullable", "")
    return True


def _null_wrapped(doc: Document, schema: dict[str, Any]) -> tuple[str, int, Any] | None:
    """``(keyword, index, X)`` when ``schema`` is only ``oneOf``/``anyOf`` of ``X`` and
    ``{type: "null"}`` (annotations aside); else None."""
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if not isinstance(branches, list) or len(branches) != 2:
            continue
        if set(schema) - _ANNOTATIONS - {keyword}:
            return None
        nulls = [i for i, branch in enumerate(branches) if _is_null(doc.deref(branch))]
        if len(nulls) == 1:
            index = 1 - nulls[0]
            return keyword, index, branches[index]
    return None


def _is_null(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "null"
        and not set(node) - _ANNOTATIONS - {"type"}
    )


def wrapped_in_one_of(
    d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]
) -> bool:
    """A body schema that became ``oneOf: [old schema, ...]``: one finding instead of many."""
    if site.kind != "body" or "oneOf" in b or not isinstance(r.get("oneOf"), list):
        return False
    fingerprint = d.base.fingerprint(b)
    if not any(d.rev.fingerprint(d.rev.deref(branch)) == fingerprint for branch in r["oneOf"]):
        return False
    add(out, site, "wrapped-in-one-of", "")
    return True
