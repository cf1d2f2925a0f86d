"""Document-level rules: version bumps (semver), webhooks, component schemas, tags, operation ids."""

from __future__ import annotations

import re

from orgloop.contracts.openapi.context import Context, Operation
from orgloop.contracts.openapi.document import escape
from orgloop.contracts.openapi.model import Change

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)


def _semver(version: object) -> tuple[int, int, int] | None:
    match = _SEMVER.match(str(version)) if version is not None else None
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def versioning(ctx: Context, changes: list[Change]) -> None:
    """When there is a breaking change, ``info.version`` must get a new major version."""
    if not any(c.level == "error" for c in changes):
        return
    old_raw = (ctx.base.root.get("info") or {}).get("version")
    new_raw = (ctx.rev.root.get("info") or {}).get("version")
    old, new = _semver(old_raw), _semver(new_raw)
    if old is None or new is None:
        return
    detail = f"{old_raw} -> {new_raw}"
    if old_raw == new_raw:
        ctx.emit("api-version-not-bumped", operation="", path="/info/version", detail=str(new_raw))
    elif new <= old:
        ctx.emit("api-version-decreased", operation="", path="/info/version", detail=detail)
    elif not (new[0] > old[0] or (old[0] == 0 == new[0] and new[1] > old[1])):
        ctx.emit("api-major-version-not-bumped", operation="", path="/info/version", detail=detail)


def diff_components_and_webhooks(ctx: Context) -> None:
    base = (ctx.base.root.get("components") or {}).get("schemas") or {}
    rev = (ctx.rev.root.get("components") or {}).get("schemas") or {}
    for name in sorted(set(base) - set(rev)):
        ctx.emit(
            "api-schema-removed",
            operation="",
            path=f"/components/schemas/{escape(name)}",
            subject=name,
        )
    base_hooks, rev_hooks = ctx.base.root.get("webhooks") or {}, ctx.rev.root.get("webhooks") or {}
    for name in sorted(set(base_hooks) - set(rev_hooks)):
        ctx.emit("webhook-removed", operation="", path=f"/webhooks/{escape(name)}", subject=name)
    for name in sorted(set(rev_hooks) - set(base_hooks)):
        ctx.emit("webhook-added", operation="", path=f"/webhooks/{escape(name)}", subject=name)


def diff_operation_meta(ctx: Context, op: Operation) -> None:
    """Tags and operationId of one operation."""
    old_id, new_id = op.base.get("operationId"), op.rev.get("operationId")
    if old_id != new_id:
        if old_id is not None:
            ctx.emit(
                "api-operation-id-removed", operation=op.label, path=op.pointer, subject=str(old_id)
            )
        if new_id is not None:
            ctx.emit(
                "api-operation-id-added", operation=op.label, path=op.pointer, subject=str(new_id)
            )
    old_tags, new_tags = set(op.base.get("tags") or []), set(op.rev.get("tags") or [])
    for tag in sorted(old_tags - new_tags, key=str):
        ctx.emit("api-tag-removed", operation=op.label, path=op.pointer + "/tags", subject=str(tag))
    for tag in sorted(new_tags - old_tags, key=str):
        ctx.emit("api-tag-added", operation=op.label, path=op.pointer + "/tags", subject=str(tag))
