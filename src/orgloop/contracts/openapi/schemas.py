"""Recursive schema diff: keywords, properties, items and allOf/oneOf/anyOf composition.

Results are events relative to the schema (pointer and property path), memoised per pair of
schema objects and site, so a component shared by many operations is compared once. Subtrees
with equal fingerprints are skipped without being walked.
"""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi import composition
from orgloop.contracts.openapi.document import Document, escape
from orgloop.contracts.openapi.model import Event, Settings, Site
from orgloop.contracts.openapi.properties import diff_properties
from orgloop.contracts.openapi.schema_keywords import KEYWORD_CHECKS
from orgloop.contracts.openapi.schema_walk import nest

_SUBSCHEMAS = (
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)


class SchemaDiffer:
    """Compares schemas of the base and the revision document."""

    def __init__(self, base: Document, rev: Document, settings: Settings) -> None:
        self.base = base
        self.rev = rev
        self.settings = settings
        self._memo: dict[tuple[int, int, Site], list[Event]] = {}
        self._active: set[tuple[int, int, Site]] = set()

    def same(self, base: Any, rev: Any) -> bool:
        return self.base.fingerprint(base) == self.rev.fingerprint(rev)

    def diff(self, site: Site, base: Any, rev: Any) -> list[Event]:
        """Events for the change from ``base`` to ``rev`` (both raw, possibly ``$ref``)."""
        if base is None or rev is None or self.same(base, rev):
            return []
        b, r = self.base.deref(base), self.rev.deref(rev)
        if not isinstance(b, dict) or not isinstance(r, dict):
            return []
        key = (id(b), id(r), site)
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self._active:
            return []  # a recursive schema: the outer comparison covers it
        self._active.add(key)
        try:
            found = self._compare(site, b, r)
        finally:
            self._active.discard(key)
        self._memo[key] = found
        return found

    def _compare(self, site: Site, b: dict[str, Any], r: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        if composition.null_wrapping(self, site, b, r, out):
            return out
        if composition.wrapped_in_one_of(self, site, b, r, out):
            return out
        bm, rm = composition.merged(self.base, b), composition.merged(self.rev, r)
        for check in KEYWORD_CHECKS:
            check(site, bm, rm, out)
        composition.diff_branches(self, site, b, r, out)
        diff_properties(self, site, bm, rm, out)
        # the items of a parameter's array are still the parameter, as oasdiff reports them
        items_site = site if site.kind in ("parameter", "header") else site.below()
        self._child(items_site, "items", bm.get("items"), rm.get("items"), out)
        for key in _SUBSCHEMAS:
            sub_b, sub_r = bm.get(key), rm.get(key)
            if isinstance(sub_b, dict) and isinstance(sub_r, dict):
                self._child(site.below(), key, sub_b, sub_r, out)
        for key in ("dependentSchemas", "patternProperties"):
            map_b, map_r = bm.get(key), rm.get(key)
            if isinstance(map_b, dict) and isinstance(map_r, dict):
                for name in sorted(map_b.keys() & map_r.keys()):
                    events = self.diff(site.below(), map_b[name], map_r[name])
                    nest(out, events, f"{key}/{name}", f"/{key}/{escape(name)}")
        return out

    def _child(self, site: Site, name: str, base: Any, rev: Any, out: list[Event]) -> None:
        nest(out, self.diff(site, base, rev), name, f"/{escape(name)}")
