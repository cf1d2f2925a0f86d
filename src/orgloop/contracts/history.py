"""The history of deployments: every deployment recorded, current or replaced, over a window.

``contracts_deployments`` keeps a replaced or undeployed row with its ``ended_at`` (a new
deployment ends the old one, never deletes it), so the history is a read of that table by
``started_at`` (indexed, ``contracts_0004``); can-i-deploy's reads of what runs now are unchanged.
Releases are not deployments and are left out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orgloop.contracts.candeploy.deployments import short
from orgloop.contracts.models import DeploymentRecord
from orgloop.contracts.store import DeploymentRow
from orgloop.kernel.errors import InvalidInput


def check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and utc(since) >= utc(until):
        raise InvalidInput.at("since", "the window is empty: since must be before until")


def rows(
    session: Session,
    *,
    since: datetime | None,
    until: datetime | None,
    service: str | None,
    environment: str | None,
) -> list[DeploymentRow]:
    """Deployments started in ``[since, until)``, oldest first."""
    query = sa.select(DeploymentRow).where(DeploymentRow.kind == "deployment")
    if since is not None:
        query = query.where(DeploymentRow.started_at >= utc(since))
    if until is not None:
        query = query.where(DeploymentRow.started_at < utc(until))
    if service is not None:
        query = query.where(DeploymentRow.service == service)
    if environment is not None:
        query = query.where(DeploymentRow.environment == environment)
    return list(session.scalars(query.order_by(DeploymentRow.started_at, DeploymentRow.id)))


def to_record(row: DeploymentRow, owner: str | None) -> DeploymentRecord:
    return DeploymentRecord(
        service=row.service, environment=row.environment, version=row.version, team=short(owner),
        recorded_by=row.recorded_by, started_at=utc(row.started_at),
        ended_at=utc(row.ended_at) if row.ended_at else None, current=row.active,
    )  # fmt: skip


def utc(at: datetime) -> datetime:
    """A time without a zone is UTC (SQLite returns them so, and users may type them so)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
