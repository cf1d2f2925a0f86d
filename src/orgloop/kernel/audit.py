"""The audit log: every change, who made it, when, and the resource before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Base, Database
from orgloop.kernel.models import AuditEntry, Page


class _AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    resource_kind: Mapped[str] = mapped_column(sa.String(50))
    resource_id: Mapped[str] = mapped_column(sa.String(300), index=True)
    before: Mapped[Any | None] = mapped_column(sa.JSON)
    after: Mapped[Any | None] = mapped_column(sa.JSON)


class AuditLog:
    """Written inside the caller's transaction, so a change and its record land together."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def record(
        self,
        session: Session,
        *,
        actor: Principal,
        action: str,
        kind: str,
        ref: str,
        before: Any | None,
        after: Any | None,
    ) -> None:
        session.add(
            _AuditRow(
                at=self._clock.now(),
                actor=actor.label[:200],  # the column's width; a cause can be long
                action=action,
                resource_kind=kind,
                resource_id=ref,
                before=_plain(before),
                after=_plain(after),
            )
        )

    def record_denied(self, actor: Principal, request: str, message: str) -> None:
        """A refused request (403), in a transaction of its own: who tried what, and why not."""
        with self._db.transaction() as session:
            self.record(
                session,
                actor=actor,
                action="access.denied",
                kind="request",
                ref=request[:300],
                before=None,
                after={"message": message},
            )

    def list(
        self,
        *,
        actor: Principal,
        resource_kind: str | None = None,
        resource_id: str | None = None,
        action: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]:
        actor.require_read()
        query = sa.select(_AuditRow)
        if resource_kind:
            query = query.where(_AuditRow.resource_kind == resource_kind)
        if resource_id:
            query = query.where(_AuditRow.resource_id == resource_id)
        if action:
            # autoescape: "%" and "_" in the filter are literal characters, not LIKE wildcards
            query = query.where(_AuditRow.action.startswith(action, autoescape=True))
        with self._db.reading() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(_AuditRow.id.desc()).limit(limit).offset(offset)
            ).all()
            items = [AuditEntry.model_validate(r, from_attributes=True) for r in rows]
        return Page[AuditEntry](items=items, total=total, limit=limit, offset=offset)


def _plain(value: Any) -> Any:
    """A model as the JSON it serialises to (how ``before``/``after`` are kept); other values
    as given."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
