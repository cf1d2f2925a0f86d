"""The experiments slice's only SQL: experiment rows (the spec kept whole as JSON) and alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.kernel.db import Base


class _ExperimentRow(Base):
    __tablename__ = "experiments"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    hypothesis: Mapped[str] = mapped_column(sa.Text)
    owner: Mapped[str] = mapped_column(sa.String(400), index=True)
    flag_key: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    planned_sample_size: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(sa.String(20))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decision_evidence: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    last_analysis: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class _AlertRow(Base):
    __tablename__ = "experiment_alerts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    experiment_key: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


def get(session: Session, key: str, *, for_update: bool = False) -> _ExperimentRow | None:
    """One experiment; ``for_update`` locks its row until the transaction ends (PostgreSQL), so
    a state change is checked against the state no other writer can change meanwhile."""
    return session.get(_ExperimentRow, key, with_for_update=for_update or None)


def create(session: Session, **values: Any) -> _ExperimentRow:
    row = _ExperimentRow(**values)
    session.add(row)
    session.flush()
    return row


def page(
    session: Session, *, owners: Sequence[str] | None, status: str | None, limit: int, offset: int
) -> tuple[list[_ExperimentRow], int]:
    query = sa.select(_ExperimentRow)
    if owners is not None:
        query = query.where(_ExperimentRow.owner.in_(owners))
    if status is not None:
        query = query.where(_ExperimentRow.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(_ExperimentRow.created_at.desc(), _ExperimentRow.key)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def owners(session: Session, keys: Sequence[str]) -> dict[str, str]:
    """The owning team of each of ``keys`` that is an experiment."""
    query = sa.select(_ExperimentRow.key, _ExperimentRow.owner).where(_ExperimentRow.key.in_(keys))
    return {row.key: row.owner for row in session.execute(query)}


def all_of(session: Session, *, owners: Sequence[str] | None) -> list[_ExperimentRow]:
    query = sa.select(_ExperimentRow).order_by(_ExperimentRow.created_at, _ExperimentRow.key)
    if owners is not None:
        query = query.where(_ExperimentRow.owner.in_(owners))
    return list(session.scalars(query).all())


def add_alert(
    session: Session, *, key: str, kind: str, message: str, details: dict[str, Any], at: datetime
) -> int:
    row = _AlertRow(experiment_key=key, kind=kind, message=message, details=details, at=at)
    session.add(row)
    session.flush()
    return row.id


def alerts(session: Session, key: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        sa.select(_AlertRow).where(_AlertRow.experiment_key == key).order_by(_AlertRow.id)
    ).all()
    return [
        {"id": r.id, "kind": r.kind, "message": r.message, "details": r.details, "at": r.at}
        for r in rows
    ]
