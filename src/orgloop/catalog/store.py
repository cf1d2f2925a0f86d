"""The catalog's only SQL: entity rows (the descriptor kept whole) and derived relation rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.kernel.db import Base


class _EntityRow(Base):
    __tablename__ = "catalog_entities"

    ref: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    namespace: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    type: Mapped[str | None] = mapped_column(sa.String(100))
    lifecycle: Mapped[str | None] = mapped_column(sa.String(100))
    owner: Mapped[str | None] = mapped_column(sa.String(400), index=True)
    system: Mapped[str | None] = mapped_column(sa.String(400), index=True)
    descriptor: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source: Mapped[str | None] = mapped_column(sa.String(1000))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class _RelationRow(Base):
    __tablename__ = "catalog_relations"

    source_ref: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    target_ref: Mapped[str] = mapped_column(sa.String(400), primary_key=True)


@dataclass(frozen=True)
class StoredEntity:
    ref: str
    kind: str
    name: str
    type: str | None
    lifecycle: str | None
    owner: str | None
    system: str | None
    descriptor: dict[str, Any]
    source: str | None
    updated_at: datetime


@dataclass(frozen=True)
class EntityFilter:
    kind: str | None = None
    type: str | None = None
    owner: str | None = None
    system: str | None = None
    lifecycle: str | None = None
    search: str | None = None


def _stored(row: _EntityRow) -> StoredEntity:
    return StoredEntity(
        ref=row.ref,
        kind=row.kind,
        name=row.name,
        type=row.type,
        lifecycle=row.lifecycle,
        owner=row.owner,
        system=row.system,
        descriptor=row.descriptor,
        source=row.source,
        updated_at=row.updated_at,
    )


def _where(query: sa.Select[Any], f: EntityFilter) -> sa.Select[Any]:
    if f.kind:
        query = query.where(sa.func.lower(_EntityRow.kind) == f.kind.lower())
    if f.type:
        query = query.where(_EntityRow.type == f.type)
    if f.owner:
        query = query.where(_EntityRow.owner == f.owner)
    if f.system:
        query = query.where(_EntityRow.system == f.system)
    if f.lifecycle:
        query = query.where(_EntityRow.lifecycle == f.lifecycle)
    if f.search:
        query = query.where(_EntityRow.name.contains(f.search.lower(), autoescape=True))
    return query


def page(
    session: Session, f: EntityFilter, *, limit: int, offset: int
) -> tuple[list[StoredEntity], int]:
    query = _where(sa.select(_EntityRow), f)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(_EntityRow.ref).limit(limit).offset(offset))
    return [_stored(r) for r in rows], total


def all_entities(session: Session) -> list[StoredEntity]:
    return [_stored(r) for r in session.scalars(sa.select(_EntityRow).order_by(_EntityRow.ref))]


def get(session: Session, ref: str) -> StoredEntity | None:
    row = session.get(_EntityRow, ref)
    return _stored(row) if row else None


def get_many(session: Session, refs: Iterable[str]) -> dict[str, StoredEntity]:
    wanted = list(set(refs))
    if not wanted:
        return {}
    rows = session.scalars(sa.select(_EntityRow).where(_EntityRow.ref.in_(wanted)))
    return {r.ref: _stored(r) for r in rows}


def upsert(session: Session, entity: StoredEntity) -> None:
    session.merge(
        _EntityRow(
            ref=entity.ref,
            kind=entity.kind,
            namespace=entity.ref.split(":", 1)[1].split("/", 1)[0],
            name=entity.name,
            type=entity.type,
            lifecycle=entity.lifecycle,
            owner=entity.owner,
            system=entity.system,
            descriptor=entity.descriptor,
            source=entity.source,
            updated_at=entity.updated_at,
        )
    )


def delete(session: Session, refs: Sequence[str]) -> None:
    if refs:
        session.execute(sa.delete(_EntityRow).where(_EntityRow.ref.in_(list(refs))))


def replace_relations(session: Session, relations: Iterable[tuple[str, str, str]]) -> int:
    """Relations are derived from the whole catalog, so they are rewritten whole."""
    session.execute(sa.delete(_RelationRow))
    rows = [{"source_ref": s, "type": t, "target_ref": o} for s, t, o in sorted(set(relations))]
    if rows:
        session.execute(sa.insert(_RelationRow), rows)
    return len(rows)


def relations_of(session: Session, refs: Iterable[str]) -> list[tuple[str, str, str]]:
    wanted = list(set(refs))
    if not wanted:
        return []
    query = sa.select(_RelationRow.source_ref, _RelationRow.type, _RelationRow.target_ref).where(
        _RelationRow.source_ref.in_(wanted)
    )
    return [(s, t, o) for s, t, o in session.execute(query)]


def count_relations(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_RelationRow)) or 0
