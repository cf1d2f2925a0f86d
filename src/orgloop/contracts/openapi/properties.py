"""Object properties: added, removed, became required or optional, read-only, deprecated."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi.document import escape
from orgloop.contracts.openapi.lifecycle import (
    InvalidStability,
    deprecation_outcome,
    stability_of,
    stability_rank,
)
from orgloop.contracts.openapi.model import Event, Site
from orgloop.contracts.openapi.rules import RULES
from orgloop.contracts.openapi.schema_walk import Differ, nest

_DEPRECATION = {
    "deprecated": "deprecated",
    "with-sunset": "deprecated-with-sunset",
    "sunset-missing": "deprecated-sunset-missing",
    "sunset-invalid": "deprecated-sunset-invalid",
    "too-small": "sunset-date-too-small",
}


def _props(schema: dict[str, Any]) -> dict[str, Any]:
    value = schema.get("properties")
    return value if isinstance(value, dict) else {}


def _required(schema: dict[str, Any]) -> set[str]:
    value = schema.get("required")
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def diff_properties(
    d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], out: list[Event]
) -> None:
    bp, rp = _props(b), _props(r)
    if (not bp and not rp) or site.kind == "header":
        return
    if site.kind in ("parameter", "parameter-property"):
        # an object parameter: only changes inside properties it keeps have rule ids
        for name in sorted(bp.keys() & rp.keys()):
            events = d.diff(site.below(), bp[name], rp[name])
            nest(out, events, name, f"/properties/{escape(name)}")
        return
    breq, rreq = _required(b), _required(r)
    emit = _Emitter(out, site.direction)
    for name in bp.keys() - rp.keys():
        node = d.base.deref(bp[name])
        node = node if isinstance(node, dict) else {}
        emit.removed(name, node, name in breq)
    for name in rp.keys() - bp.keys():
        node = d.rev.deref(rp[name])
        node = node if isinstance(node, dict) else {}
        emit.added(name, node, name in rreq)

    for name in bp.keys() & rp.keys():
        bn, rn = d.base.deref(bp[name]), d.rev.deref(rp[name])
        bn = bn if isinstance(bn, dict) else {}
        rn = rn if isinstance(rn, dict) else {}
        emit.required(name, rn, name in breq, name in rreq)
        emit.access(name, bn, rn, name in rreq)
        emit.lifecycle(name, bn, rn, d, site)
        child = site.below(
            read_only=rn.get("readOnly") is True, write_only=rn.get("writeOnly") is True
        )
        nest(out, d.diff(child, bp[name], rp[name]), name, f"/properties/{escape(name)}")


class _Emitter:
    """Property-level rule ids, which do not follow the body/property prefix pattern."""

    def __init__(self, out: list[Event], direction: str) -> None:
        self.out = out
        self.direction = direction

    def _add(self, rule_id: str, name: str, detail: str = "") -> None:
        if rule_id in RULES:
            self.out.append((rule_id, f"/properties/{escape(name)}", name, detail))

    def removed(self, name: str, node: dict[str, Any], required: bool) -> None:
        if self.direction == "request":
            if node.get("readOnly") is not True:
                self._add("request-property-removed", name)
            return
        kind = "required" if required else "optional"
        wo = "write-only-" if node.get("writeOnly") is True else ""
        self._add(f"response-{kind}-{wo}property-removed", name)

    def added(self, name: str, node: dict[str, Any], required: bool) -> None:
        if self.direction == "request":
            if node.get("readOnly") is True:
                return
            if not required:
                self._add("new-optional-request-property", name)
            else:
                default = "-with-default" if "default" in node else ""
                self._add(f"new-required-request-property{default}", name)
            return
        kind = "required" if required else "optional"
        wo = "write-only-" if node.get("writeOnly") is True else ""
        self._add(f"response-{kind}-{wo}property-added", name)

    def required(self, name: str, node: dict[str, Any], before: bool, after: bool) -> None:
        if before == after:
            return
        if self.direction == "request":
            if node.get("readOnly") is True:
                return
            if not after:
                self._add("request-property-became-optional", name)
            else:
                default = "-with-default" if "default" in node else ""
                self._add(f"request-property-became-required{default}", name)
            return
        wo = "write-only-" if node.get("writeOnly") is True else ""
        self._add(f"response-{wo}property-became-{'required' if after else 'optional'}", name)

    def access(self, name: str, bn: dict[str, Any], rn: dict[str, Any], required: bool) -> None:
        kind = "required" if required else "optional"
        for key, label in (("readOnly", "read-only"), ("writeOnly", "write-only")):
            before, after = bn.get(key) is True, rn.get(key) is True
            if before != after:
                state = label if after else f"not-{label}"
                self._add(f"{self.direction}-{kind}-property-became-{state}", name)

    def lifecycle(
        self, name: str, bn: dict[str, Any], rn: dict[str, Any], d: Differ, site: Site
    ) -> None:
        prefix = f"{self.direction}-property"
        before, after = bn.get("deprecated") is True, rn.get("deprecated") is True
        if before and not after:
            self._add(f"{prefix}-reactivated", name)
        elif after and not before:
            outcome = deprecation_outcome(rn, d.settings, site.stability)
            self._add(f"{prefix}-{_DEPRECATION[outcome]}", name)
        try:
            old, new = stability_of(bn), stability_of(rn)
        except InvalidStability as err:  # a property's level is checked like an operation's
            self._add("api-invalid-stability-level", name, str(err))
            return
        if old != new and (old or new):
            change = "decreased" if stability_rank(new) < stability_rank(old) else "increased"
            self._add(
                f"{prefix}-stability-{change}", name, f"{old or 'stable'} -> {new or 'stable'}"
            )
