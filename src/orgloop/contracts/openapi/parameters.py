"""Request parameters: added, removed (with deprecation and sunset), required, schema changes."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi.context import Context, Operation
from orgloop.contracts.openapi.document import Document, escape
from orgloop.contracts.openapi.lifecycle import (
    deprecation_outcome,
    removed_before_sunset,
    sunset_date,
)
from orgloop.contracts.openapi.model import Site

Key = tuple[str, str]

_DEPRECATION = {
    "deprecated": "request-parameter-deprecated",
    "with-sunset": "request-parameter-deprecated",
    "sunset-missing": "request-parameter-deprecated-sunset-missing",
    "sunset-invalid": "request-parameter-sunset-parse",
    "too-small": "request-parameter-sunset-date-too-small",
}


def _key(param: dict[str, Any]) -> Key:
    where, name = str(param.get("in", "")), str(param.get("name", ""))
    # header names are case-insensitive (RFC 9110)
    return (where, name.lower() if where == "header" else name)


def _collect(
    ctx: Context, doc: Document, raw: Any, renamed: dict[str, str] | None = None
) -> dict[Key, dict[str, Any]]:
    """Parameters by key; ``renamed`` gives a revision's path parameters their base names."""
    found: dict[Key, dict[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        param = ctx.node(doc, item)
        if param:
            where, name = _key(param)
            if renamed and where == "path":
                name = renamed.get(name, name)
            found[(where, name)] = param
    return found


def _schema(param: dict[str, Any]) -> Any:
    if "schema" in param:
        return param["schema"]
    content = param.get("content")
    if isinstance(content, dict):
        for media in content.values():
            if isinstance(media, dict) and "schema" in media:
                return media["schema"]
    return None


def diff_parameters(
    ctx: Context, op: Operation, bitem: dict[str, Any], ritem: dict[str, Any]
) -> None:
    renamed = dict(op.renamed)
    b_path, r_path = (
        _collect(ctx, ctx.base, bitem.get("parameters")),
        _collect(ctx, ctx.rev, ritem.get("parameters"), renamed),
    )
    b_own, r_own = (
        _collect(ctx, ctx.base, op.base.get("parameters")),
        _collect(ctx, ctx.rev, op.rev.get("parameters"), renamed),
    )
    base, rev = {**b_path, **b_own}, {**r_path, **r_own}
    for key in sorted(rev.keys() - base.keys()):
        _added(ctx, op, key, rev[key], from_path=key not in r_own and key not in b_path)
    for key in sorted(base.keys() - rev.keys()):
        _removed(ctx, op, key, base[key])
    for key in sorted(base.keys() & rev.keys()):
        bp, rp = base[key], rev[key]
        if ctx.base.fingerprint(bp) != ctx.rev.fingerprint(rp):
            _modified(ctx, op, key, bp, rp)


def _where(op: Operation, key: Key) -> tuple[str, str]:
    return (
        f"{key[0]} parameter '{key[1]}'",
        f"{op.pointer}/parameters/{escape(key[0])}/{escape(key[1])}",
    )


def _added(
    ctx: Context, op: Operation, key: Key, param: dict[str, Any], *, from_path: bool
) -> None:
    subject, pointer = _where(op, key)
    required = param.get("required") is True
    if key[0] == "path":
        rule = "new-request-path-parameter"
    elif from_path:
        kind = "required" if required else "optional"
        rule = f"new-{kind}-request-default-parameter-to-existing-path"
    else:
        rule = "new-required-request-parameter" if required else "new-optional-request-parameter"
    ctx.emit(rule, operation=op.label, path=pointer, subject=subject)


def _removed(ctx: Context, op: Operation, key: Key, param: dict[str, Any]) -> None:
    if op.stability in ("draft", "alpha"):
        return
    subject, pointer = _where(op, key)
    if param.get("deprecated") is not True:
        rule = "request-parameter-removed"
    elif "x-sunset" not in param:
        rule = "request-parameter-removed-with-deprecation"
    else:
        early = removed_before_sunset(param, ctx.settings)
        if early is False:
            return
        rule = (
            "request-parameter-sunset-parse"
            if early is None
            else "request-parameter-removed-before-sunset"
        )
    ctx.emit(rule, operation=op.label, path=pointer, subject=subject)


def _modified(
    ctx: Context, op: Operation, key: Key, bp: dict[str, Any], rp: dict[str, Any]
) -> None:
    subject, pointer = _where(op, key)
    before, after = bp.get("required") is True, rp.get("required") is True
    if before != after and key[0] != "path":
        rule = "request-parameter-became-required" if after else "request-parameter-became-optional"
        ctx.emit(rule, operation=op.label, path=pointer, subject=subject)
    _lifecycle(ctx, op, subject, pointer, bp, rp)
    site = Site("request", "parameter", stability=op.stability)
    events = ctx.schemas.diff(site, _schema(bp), _schema(rp))
    ctx.emit_events(events, operation=op.label, path=pointer + "/schema", subject=subject)


def _lifecycle(
    ctx: Context, op: Operation, subject: str, pointer: str, bp: dict[str, Any], rp: dict[str, Any]
) -> None:
    before, after = bp.get("deprecated") is True, rp.get("deprecated") is True
    if before and not after:
        ctx.emit("request-parameter-reactivated", operation=op.label, path=pointer, subject=subject)
    elif after and not before:
        rule = _DEPRECATION[deprecation_outcome(rp, ctx.settings, op.stability)]
        ctx.emit(rule, operation=op.label, path=pointer, subject=subject)
    elif after and "x-sunset" in bp:
        if "x-sunset" not in rp:
            ctx.emit(
                "request-parameter-sunset-deleted",
                operation=op.label,
                path=pointer,
                subject=subject,
            )
            return
        try:
            old, new = sunset_date(bp["x-sunset"]), sunset_date(rp["x-sunset"])
        except ValueError:
            ctx.emit(
                "request-parameter-sunset-parse", operation=op.label, path=pointer, subject=subject
            )
            return
        days = ctx.settings.sunset_days(op.stability)
        if old > new and (new - ctx.settings.today).days < days:
            rule = "request-parameter-sunset-date-changed-too-small"
            ctx.emit(
                rule, operation=op.label, path=pointer, subject=subject, detail=f"{old} -> {new}"
            )
