"""Deployments and supported releases: what runs, or is supported, where.

A deployment of a service in an environment replaces whatever version ran there; a release stays
supported until its support ends.  Every change is one transaction with its audit record.

A change may carry the time it happened (``started_at``, recording history after the fact): never
in the future, and never before the start of a row it replaces or ends, so the history of a
service in an environment stays in order (each row ends no earlier than it started).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from orgloop.contracts import store
from orgloop.contracts.models import Deployment, DeploymentCreate
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.db import Database
from orgloop.kernel.errors import InvalidInput, NotFound


def change(
    db: Database,
    audit: AuditLog,
    *,
    service: str,
    owner: str,
    body: DeploymentCreate,
    kind: str | None,
    end_kind: str | None,
    now: datetime,
    actor: Principal,
) -> Deployment:
    """Start ``kind`` (deployment or release) and/or end the active ``end_kind`` rows, at
    ``body.started_at`` when given (else ``now``)."""
    now = _when(body.started_at, now)
    with db.transaction() as session:
        ended = _end(session, service, owner, body, kind=kind, end_kind=end_kind, now=now)
        if kind is None and not ended:
            noun = "supported release" if end_kind == "release" else "deployment"
            raise NotFound(f"no {noun} of {service} {body.version} in {body.environment}")
        result = Deployment(
            service=service, environment=body.environment, version=body.version,
            kind=kind or end_kind, team=short(owner), started_at=now,
        )  # fmt: skip
        if kind is not None:
            store.add(session, store.DeploymentRow(
                service=service, environment=body.environment, version=body.version,
                kind=kind, active=True, started_at=now, ended_at=None,
                recorded_by=actor.label,
            ))  # fmt: skip
        action = {"deployment": "deploy", "release": "release"}.get(kind or "", "end")
        audit.record(
            session, actor=actor, action=f"contracts.deployment.{action}", kind="deployment",
            ref=f"{service}@{body.environment}", before=ended or None,
            after=result.model_dump(mode="json") if kind else None,
        )  # fmt: skip
    return result


def _end(
    session: Session, service: str, owner: str, body: DeploymentCreate, *,
    kind: str | None, end_kind: str | None, now: datetime,
) -> list[dict[str, object]]:  # fmt: skip
    """End the active rows this change replaces; what they were, for the audit log."""
    ended = []
    for row in store.active_of(session, service, body.environment, end_kind or ""):
        # A release ends by version; a deployment is replaced whatever its version.
        if end_kind == "release" and row.version != body.version:
            continue
        if kind == "release" and row.version != body.version:
            continue
        started = _aware(row.started_at)
        if started > now:
            raise InvalidInput.at(
                "started_at",
                f"{service} {row.version} in {body.environment} started at "
                f"{started.isoformat()}; what replaces or ends it cannot start earlier",
            )
        row.active, row.ended_at = False, now
        ended.append(to_model(row, owner).model_dump(mode="json"))
    return ended


def _when(started_at: datetime | None, now: datetime) -> datetime:
    if started_at is None:
        return now
    if started_at.tzinfo is None:
        raise InvalidInput.at("started_at", "give a time-zone offset, e.g. 2026-01-31T09:00:00Z")
    if started_at > now:
        raise InvalidInput.at("started_at", "a deployment cannot start in the future")
    return started_at.astimezone(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC times


def to_model(row: store.DeploymentRow, owner: str | None) -> Deployment:
    return Deployment(
        service=row.service, environment=row.environment, version=row.version,
        kind=row.kind, team=short(owner), started_at=row.started_at,
    )  # fmt: skip


def short(owner: str | None) -> str | None:
    """``group:default/checkout`` -> ``checkout``: how people name their team."""
    if owner is None:
        return None
    return owner.split(":", 1)[-1].removeprefix("default/")
