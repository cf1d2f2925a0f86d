"""Request bodies and response bodies: presence, required, media types and their schemas."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi.context import Context, Operation
from orgloop.contracts.openapi.document import escape
from orgloop.contracts.openapi.model import Site


def is_json(media_type: str) -> bool:
    name = media_type.split(";", 1)[0].strip().lower()
    return name == "application/json" or name.endswith("+json")


def diff_request_body(ctx: Context, op: Operation) -> None:
    base, rev = (
        ctx.node(ctx.base, op.base.get("requestBody")),
        ctx.node(ctx.rev, op.rev.get("requestBody")),
    )
    pointer = f"{op.pointer}/requestBody"
    if not base and not rev:
        return
    if not base:
        kind = "required" if rev.get("required") is True else "optional"
        ctx.emit(f"request-body-added-{kind}", operation=op.label, path=pointer)
        return
    if not rev:
        ctx.emit("request-body-removed", operation=op.label, path=pointer)
        return
    if ctx.base.fingerprint(base) == ctx.rev.fingerprint(rev):
        return
    before, after = base.get("required") is True, rev.get("required") is True
    if before != after:
        rule = "request-body-became-required" if after else "request-body-became-optional"
        ctx.emit(rule, operation=op.label, path=pointer)
    diff_content(ctx, op, "request", base.get("content"), rev.get("content"), pointer)


def diff_content(
    ctx: Context, op: Operation, direction: str, base: Any, rev: Any, pointer: str
) -> None:
    """Media types of a request body or a response, and the schema under each."""
    base = base if isinstance(base, dict) else {}
    rev = rev if isinstance(rev, dict) else {}
    prefix = "request-body" if direction == "request" else "response"
    for name in sorted(base.keys() - rev.keys()):
        where = f"{pointer}/content/{escape(name)}"
        ctx.emit(
            f"{prefix}-media-type-removed",
            operation=op.label,
            path=where,
            subject=f"media type {name}",
        )
    for name in sorted(rev.keys() - base.keys()):
        where = f"{pointer}/content/{escape(name)}"
        ctx.emit(
            f"{prefix}-media-type-added",
            operation=op.label,
            path=where,
            subject=f"media type {name}",
        )
    for name in sorted(base.keys() & rev.keys()):
        bm, rm = ctx.node(ctx.base, base[name]), ctx.node(ctx.rev, rev[name])
        where = f"{pointer}/content/{escape(name)}"
        if "schema" not in bm and "schema" in rm:
            ctx.emit(
                f"{direction}-body-media-type-schema-added",
                operation=op.label,
                path=where,
                subject=f"media type {name}",
            )
        elif "schema" in bm and "schema" not in rm:
            ctx.emit(
                f"{direction}-body-media-type-schema-removed",
                operation=op.label,
                path=where,
                subject=f"media type {name}",
            )
        elif "schema" in bm:
            site = Site(direction, "body", stability=op.stability, strongly_typed=is_json(name))  # type: ignore[arg-type]
            events = ctx.schemas.diff(site, bm["schema"], rm["schema"])
            subject = (
                f"{direction} body ({name})"
                if direction == "request"
                else f"response body ({name})"
            )
            ctx.emit_events(events, operation=op.label, path=f"{where}/schema", subject=subject)
