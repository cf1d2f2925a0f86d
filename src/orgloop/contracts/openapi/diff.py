"""The diff entry point: every change between two OpenAPI documents, with rule ids and levels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orgloop.contracts.openapi import info, security
from orgloop.contracts.openapi.bodies import diff_request_body
from orgloop.contracts.openapi.context import Context, Operation
from orgloop.contracts.openapi.document import Document
from orgloop.contracts.openapi.model import Change, Settings
from orgloop.contracts.openapi.parameters import diff_parameters
from orgloop.contracts.openapi.paths import diff_paths, diff_webhooks
from orgloop.contracts.openapi.policy import Policy
from orgloop.contracts.openapi.responses import diff_responses


def diff(
    base: Document,
    revision: Document,
    *,
    policy: Policy | None = None,
    today: dt.date | None = None,
) -> list[Change]:
    """Changes from ``base`` to ``revision``, levels and ignores applied from ``policy``."""
    settings = (
        policy.settings(today=today)
        if policy is not None
        else Settings(today=today or dt.date.today())
    )
    ctx = Context(base, revision, settings)
    if not _same(base, revision):
        diff_paths(ctx, _operation)
        diff_webhooks(ctx, _operation)
        security.diff_security(ctx)
        info.diff_components_and_webhooks(ctx)
    changes = ctx.changes
    if policy is not None:
        changes = policy.apply(changes)
    if settings.versioning:
        ctx.changes = []
        info.versioning(ctx, changes)
        extra = policy.apply(ctx.changes) if policy is not None else ctx.changes
        changes = [*changes, *extra]
    return changes


def _same(base: Document, revision: Document) -> bool:
    """Equal content. Comparing the raw objects first avoids fingerprinting two whole documents
    that differ (the usual case); the fingerprint is needed only when refs reach other files."""
    if len(base.files) == 1 and len(revision.files) == 1:
        return base.root == revision.root
    return base.fingerprint(base.root) == revision.fingerprint(revision.root)


def _operation(ctx: Context, op: Operation, bitem: dict[str, Any], ritem: dict[str, Any]) -> None:
    info.diff_operation_meta(ctx, op)
    security.diff_requirements(
        ctx,
        op.base.get("security"),
        op.rev.get("security"),
        scope="api",
        operation=op.label,
        pointer=op.pointer + "/security",
    )
    diff_parameters(ctx, op, bitem, ritem)
    diff_request_body(ctx, op)
    diff_responses(ctx, op)
