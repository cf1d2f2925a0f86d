"""Paths and operations: added, removed (with deprecation and sunset), stability, deprecation.

Paths are matched with their parameter names blanked (``/pets/{id}`` is ``/pets/{petId}``), and a
path parameter is known by its position in the template, so renaming one is no change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from orgloop.contracts.openapi.context import METHODS, Context, Operation
from orgloop.contracts.openapi.document import Document, escape
from orgloop.contracts.openapi.lifecycle import (
    InvalidStability,
    deprecation_outcome,
    removed_before_sunset,
    stability_of,
    stability_rank,
    sunset_date,
)

_PARAM = re.compile(r"\{[^}/]*\}")

_ENDPOINT_DEPRECATION = {
    "deprecated": "endpoint-deprecated",
    "with-sunset": "endpoint-deprecated-with-sunset",
    "sunset-missing": "api-deprecated-sunset-missing",
    "sunset-invalid": "api-deprecated-sunset-parse",
    "too-small": "api-sunset-date-too-small",
}


def _paths(ctx: Context, doc: Document) -> dict[str, tuple[str, dict[str, Any]]]:
    paths = doc.root.get("paths") or {}
    return {_PARAM.sub("{}", p): (p, ctx.node(doc, item)) for p, item in paths.items()}


def operations(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m: op for m in METHODS if isinstance(op := item.get(m), dict)}


def diff_paths(
    ctx: Context, on_operation: Callable[[Context, Operation, dict[str, Any], dict[str, Any]], None]
) -> None:
    base, rev = _paths(ctx, ctx.base), _paths(ctx, ctx.rev)
    for key in base.keys() - rev.keys():
        path, item = base[key]
        for method, op in operations(item).items():
            _removed(ctx, method, path, op, whole_path=True)
    for key in rev.keys() - base.keys():
        path, item = rev[key]
        for method in operations(item):
            label, pointer = Operation.locate(method, path)
            ctx.emit("endpoint-added", operation=label, path=pointer)
    for key in sorted(base.keys() & rev.keys()):
        (bpath, bitem), (path, ritem) = base[key], rev[key]
        if ctx.base.fingerprint(bitem) == ctx.rev.fingerprint(ritem):
            continue
        renamed = _renamed(bpath, path)
        bops, rops = operations(bitem), operations(ritem)
        for method in bops.keys() - rops.keys():
            _removed(ctx, method, path, bops[method], whole_path=False)
        for method in rops.keys() - bops.keys():
            label, pointer = Operation.locate(method, path)
            ctx.emit("endpoint-added", operation=label, path=pointer)
        for method in [m for m in METHODS if m in bops and m in rops]:
            kept = _modified(ctx, method, path, bops[method], rops[method], renamed)
            if kept is not None:
                on_operation(ctx, kept, bitem, ritem)


def diff_webhooks(
    ctx: Context, on_operation: Callable[[Context, Operation, dict[str, Any], dict[str, Any]], None]
) -> None:
    """The operations of 3.1 webhooks both documents have, compared as operations are (a
    webhook added or removed is reported with the components)."""
    base = ctx.base.root.get("webhooks") or {}
    rev = ctx.rev.root.get("webhooks") or {}
    if not isinstance(base, dict) or not isinstance(rev, dict):
        return
    for name in sorted(set(base) & set(rev)):
        bitem, ritem = ctx.node(ctx.base, base[name]), ctx.node(ctx.rev, rev[name])
        if ctx.base.fingerprint(bitem) == ctx.rev.fingerprint(ritem):
            continue
        bops, rops = operations(bitem), operations(ritem)
        for method in [m for m in METHODS if m in bops and m in rops]:
            located = (f"{method.upper()} webhook {name}", f"/webhooks/{escape(name)}/{method}")
            kept = _modified(ctx, method, name, bops[method], rops[method], located=located)
            if kept is not None:
                on_operation(ctx, kept, bitem, ritem)


def _renamed(base_path: str, rev_path: str) -> tuple[tuple[str, str], ...]:
    """The revision's path parameter names that differ from the base's at the same position."""
    names = (_PARAM.findall(base_path), _PARAM.findall(rev_path))
    return tuple((r[1:-1], b[1:-1]) for b, r in zip(*names, strict=True) if b != r)


def _removed(ctx: Context, method: str, path: str, op: dict[str, Any], *, whole_path: bool) -> None:
    label, pointer = Operation.locate(method, path)
    try:
        stability = stability_of(op)
    except InvalidStability as err:
        ctx.emit("api-invalid-stability-level", operation=label, path=pointer, detail=str(err))
        return
    if stability in ("draft", "alpha") or not _included(ctx, stability):
        return
    scope = "api-path" if whole_path else "api"
    if op.get("deprecated") is not True:
        ctx.emit(f"{scope}-removed-without-deprecation", operation=label, path=pointer)
    elif "x-sunset" not in op:
        ctx.emit(f"{scope}-removed-with-deprecation", operation=label, path=pointer)
    else:
        early = removed_before_sunset(op, ctx.settings)
        if early is None:
            ctx.emit(
                "api-path-sunset-parse", operation=label, path=pointer, detail=str(op["x-sunset"])
            )
        elif early:
            ctx.emit(
                f"{scope}-removed-before-sunset",
                operation=label,
                path=pointer,
                detail=str(op["x-sunset"]),
            )


def _included(ctx: Context, stability: str) -> bool:
    return stability_rank(stability) >= stability_rank(ctx.settings.stability_threshold)


def _modified(
    ctx: Context,
    method: str,
    path: str,
    bop: dict[str, Any],
    rop: dict[str, Any],
    renamed: tuple[tuple[str, str], ...] = (),
    located: tuple[str, str] | None = None,
) -> Operation | None:
    """Lifecycle findings of a kept operation; the operation unless its stability filters it.
    ``located``: its label and pointer when it is not under ``paths`` (a webhook's)."""
    label, pointer = located or Operation.locate(method, path)
    try:
        old = stability_of(bop)
    except InvalidStability as err:
        ctx.emit("api-invalid-stability-level", operation=label, path=pointer, detail=str(err))
        old = None
    try:
        new = stability_of(rop)
    except InvalidStability as err:
        ctx.emit("api-invalid-stability-level", operation=label, path=pointer, detail=str(err))
        return None
    if (
        old is not None
        and stability_rank(old) != stability_rank(new)
        and _included(ctx, old or "stable")
    ):
        change = "decreased" if stability_rank(new) < stability_rank(old) else "increased"
        ctx.emit(
            f"api-stability-{change}",
            operation=label,
            path=pointer,
            detail=f"{old or 'stable'} -> {new or 'stable'}",
        )
    _deprecation(ctx, label, pointer, bop, rop, new)
    if not _included(ctx, new):
        return None
    return Operation(label, pointer, bop, rop, new or "stable", renamed)


def _deprecation(
    ctx: Context, label: str, pointer: str, bop: dict[str, Any], rop: dict[str, Any], stability: str
) -> None:
    before, after = bop.get("deprecated") is True, rop.get("deprecated") is True
    if before and not after:
        ctx.emit("endpoint-reactivated", operation=label, path=pointer)
        return
    if after and not before:
        outcome = deprecation_outcome(rop, ctx.settings, stability)
        ctx.emit(
            _ENDPOINT_DEPRECATION[outcome],
            operation=label,
            path=pointer,
            detail=str(rop.get("x-sunset", "")),
        )
        return
    if after and "x-sunset" in bop:
        _sunset_changed(ctx, label, pointer, bop, rop, stability)


def _sunset_changed(
    ctx: Context, label: str, pointer: str, bop: dict[str, Any], rop: dict[str, Any], stability: str
) -> None:
    if "x-sunset" not in rop:
        ctx.emit("sunset-deleted", operation=label, path=pointer)
        return
    if bop["x-sunset"] == rop["x-sunset"]:
        return
    try:
        old, new = sunset_date(bop["x-sunset"]), sunset_date(rop["x-sunset"])
    except ValueError as err:
        ctx.emit("api-path-sunset-parse", operation=label, path=pointer, detail=str(err))
        return
    days = ctx.settings.sunset_days(stability or "stable")
    if old > new and (new - ctx.settings.today).days < days:
        ctx.emit(
            "api-sunset-date-changed-too-small",
            operation=label,
            path=pointer,
            detail=f"{old} -> {new}",
        )
