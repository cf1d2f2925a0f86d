"""Responses: status codes, media types, bodies and headers."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi.bodies import diff_content
from orgloop.contracts.openapi.context import Context, Operation
from orgloop.contracts.openapi.document import escape
from orgloop.contracts.openapi.model import Site


def _success(status: str) -> bool:
    return status.upper().startswith("2")


def diff_responses(ctx: Context, op: Operation) -> None:
    base, rev = (
        ctx.node(ctx.base, op.base.get("responses")),
        ctx.node(ctx.rev, op.rev.get("responses")),
    )
    pointer = f"{op.pointer}/responses"
    for status in sorted(base.keys() - rev.keys()):
        kind = "success" if _success(status) else "non-success"
        ctx.emit(
            f"response-{kind}-status-removed",
            operation=op.label,
            path=f"{pointer}/{status}",
            subject=f"status {status}",
        )
    for status in sorted(rev.keys() - base.keys()):
        kind = "success" if _success(status) else "non-success"
        ctx.emit(
            f"response-{kind}-status-added",
            operation=op.label,
            path=f"{pointer}/{status}",
            subject=f"status {status}",
        )
    for status in sorted(base.keys() & rev.keys()):
        if ctx.base.fingerprint(base[status]) == ctx.rev.fingerprint(rev[status]):
            continue
        br, rr = ctx.node(ctx.base, base[status]), ctx.node(ctx.rev, rev[status])
        where = f"{pointer}/{escape(status)}"
        diff_content(ctx, op, "response", br.get("content"), rr.get("content"), where)
        _headers(ctx, op, br.get("headers"), rr.get("headers"), where)


def _headers(ctx: Context, op: Operation, base: Any, rev: Any, pointer: str) -> None:
    base = {k.lower(): v for k, v in base.items()} if isinstance(base, dict) else {}
    rev = {k.lower(): v for k, v in rev.items()} if isinstance(rev, dict) else {}
    for name in sorted(base.keys() - rev.keys()):
        header = ctx.node(ctx.base, base[name])
        rule = (
            "required-response-header-removed"
            if header.get("required") is True
            else "optional-response-header-removed"
        )
        ctx.emit(
            rule,
            operation=op.label,
            path=f"{pointer}/headers/{escape(name)}",
            subject=f"header '{name}'",
        )
    for name in sorted(rev.keys() - base.keys()):
        ctx.emit(
            "response-header-added",
            operation=op.label,
            path=f"{pointer}/headers/{escape(name)}",
            subject=f"header '{name}'",
        )
    for name in sorted(base.keys() & rev.keys()):
        bh, rh = ctx.node(ctx.base, base[name]), ctx.node(ctx.rev, rev[name])
        where = f"{pointer}/headers/{escape(name)}"
        if bh.get("required") is True and rh.get("required") is not True:
            ctx.emit(
                "response-header-became-optional",
                operation=op.label,
                path=where,
                subject=f"header '{name}'",
            )
        site = Site("response", "header", stability=op.stability)
        events = ctx.schemas.diff(site, bh.get("schema"), rh.get("schema"))
        ctx.emit_events(
            events, operation=op.label, path=f"{where}/schema", subject=f"header '{name}'"
        )
