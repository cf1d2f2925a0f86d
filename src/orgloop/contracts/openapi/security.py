"""Security requirements (global and per operation) and security schemes."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.openapi.context import Context
from orgloop.contracts.openapi.document import escape

Requirement = frozenset[str]


def _requirements(raw: Any) -> dict[Requirement, dict[str, set[str]]]:
    found: dict[Requirement, dict[str, set[str]]] = {}
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            scopes = {
                k: {str(s) for s in v} if isinstance(v, list) else set() for k, v in item.items()
            }
            found[frozenset(item)] = scopes
    return found


def diff_requirements(
    ctx: Context, base: Any, rev: Any, *, scope: str, operation: str, pointer: str
) -> None:
    """``scope`` is ``api`` (an operation's ``security``) or ``api-global`` (the document's)."""
    if base == rev:
        return
    before, after = _requirements(base), _requirements(rev)
    for req in sorted(before.keys() - after.keys(), key=sorted):
        ctx.emit(
            f"{scope}-security-removed",
            operation=operation,
            path=pointer,
            subject=" AND ".join(sorted(req)),
        )
    for req in sorted(after.keys() - before.keys(), key=sorted):
        ctx.emit(
            f"{scope}-security-added",
            operation=operation,
            path=pointer,
            subject=" AND ".join(sorted(req)),
        )
    for req in before.keys() & after.keys():
        for scheme in sorted(req):
            old, new = before[req][scheme], after[req][scheme]
            for s in sorted(new - old):
                ctx.emit(
                    f"{scope}-security-scope-added",
                    operation=operation,
                    path=pointer,
                    subject=scheme,
                    detail=s,
                )
            for s in sorted(old - new):
                ctx.emit(
                    f"{scope}-security-scope-removed",
                    operation=operation,
                    path=pointer,
                    subject=scheme,
                    detail=s,
                )


def diff_security(ctx: Context) -> None:
    """Global requirements and ``components.securitySchemes``."""
    diff_requirements(
        ctx,
        ctx.base.root.get("security"),
        ctx.rev.root.get("security"),
        scope="api-global",
        operation="",
        pointer="/security",
    )
    base = ((ctx.base.root.get("components") or {}).get("securitySchemes")) or {}
    rev = ((ctx.rev.root.get("components") or {}).get("securitySchemes")) or {}
    for name in sorted(base.keys() - rev.keys()):
        ctx.emit("api-security-component-removed", operation="", path=_ptr(name), subject=name)
    for name in sorted(rev.keys() - base.keys()):
        ctx.emit("api-security-component-added", operation="", path=_ptr(name), subject=name)
    for name in sorted(base.keys() & rev.keys()):
        _scheme(ctx, name, ctx.node(ctx.base, base[name]), ctx.node(ctx.rev, rev[name]))


def _ptr(name: str) -> str:
    return f"/components/securitySchemes/{escape(name)}"


def _scheme(ctx: Context, name: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    def emit(rule: str, detail: str = "") -> None:
        ctx.emit(rule, operation="", path=_ptr(name), subject=name, detail=detail)

    if b.get("type") != r.get("type"):
        emit("api-security-component-type-changed", f"{b.get('type')} -> {r.get('type')}")
    bflows, rflows = b.get("flows") or {}, r.get("flows") or {}
    for flow in sorted(set(bflows) & set(rflows)):
        bf, rf = bflows[flow] or {}, rflows[flow] or {}
        if bf.get("authorizationUrl") != rf.get("authorizationUrl"):
            emit("api-security-component-oauth-url-changed", flow)
        if bf.get("tokenUrl") != rf.get("tokenUrl"):
            emit("api-security-component-oauth-token-url-changed", flow)
        bs, rs = bf.get("scopes") or {}, rf.get("scopes") or {}
        for s in sorted(set(rs) - set(bs)):
            emit("api-security-component-oauth-scope-added", s)
        for s in sorted(set(bs) - set(rs)):
            emit("api-security-component-oauth-scope-removed", s)
        for s in sorted(set(bs) & set(rs)):
            if bs[s] != rs[s]:
                emit("api-security-component-oauth-scope-changed", s)
