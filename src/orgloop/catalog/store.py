"""The catalog's only SQL: entity rows (the descriptor kept whole) and the relations each entity
declares.

A relation row names its ``origin``, the entity whose descriptor declares it, so a write
replaces only the rows of the entities it changes. The same relation may be declared by both
of its ends (a Group's ``children`` and the child's ``parent``); readers see it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

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
    service_name: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    descriptor: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source: Mapped[str | None] = mapped_column(sa.String(1000))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class _RelationRow(Base):
    __tablename__ = "catalog_relations"

    origin: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    source_ref: Mapped[str] = mapped_column(sa.String(400), primary_key=True, index=True)
    type: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    target_ref: Mapped[str] = mapped_column(sa.String(400), primary_key=True, index=True)


_CHUNK = 1000  # keys per IN (...): well below SQLite's and PostgreSQL's parameter limits

Relation = tuple[str, str, str]
"""``(source ref, type, target ref)``."""


@dataclass(frozen=True)
class StoredEntity:
    ref: str
    kind: str
    name: str
    type: str | None
    lifecycle: str | None
    owner: str | None
    system: str | None
    service_name: str | None
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


_ENTITIES = cast(sa.Table, _EntityRow.__table__)
_RELATIONS = cast(sa.Table, _RelationRow.__table__)
# Statements run on the tables, not through the ORM: a write runs a handful of them, and the
# ORM's unit of work would cost more than the statements themselves.
_COLUMNS = [_ENTITIES.c[field.name] for field in fields(StoredEntity)]


def _stored(row: sa.Row[Any]) -> StoredEntity:
    return StoredEntity(**row._mapping)


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS)


def _where(query: sa.Select[Any], f: EntityFilter) -> sa.Select[Any]:
    c = _ENTITIES.c
    if f.kind:
        query = query.where(sa.func.lower(c.kind) == f.kind.lower())
    if f.type:
        query = query.where(c.type == f.type)
    if f.owner:
        query = query.where(c.owner == f.owner)
    if f.system:
        query = query.where(c.system == f.system)
    if f.lifecycle:
        query = query.where(c.lifecycle == f.lifecycle)
    if f.search:
        query = query.where(c.name.contains(f.search.lower(), autoescape=True))
    return query


def page(
    session: Session, f: EntityFilter, *, limit: int, offset: int
) -> tuple[list[StoredEntity], int]:
    query = _where(_select(), f)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(_ENTITIES.c.ref).limit(limit).offset(offset))
    return [_stored(r) for r in rows], total


def all_entities(session: Session) -> list[StoredEntity]:
    return [_stored(r) for r in session.execute(_select().order_by(_ENTITIES.c.ref))]


def get(session: Session, ref: str, *, for_update: bool = False) -> StoredEntity | None:
    """One entity; ``for_update`` locks its row until the transaction ends (PostgreSQL)."""
    query = _select().where(_ENTITIES.c.ref == ref)
    row = session.execute(query.with_for_update() if for_update else query).first()
    return _stored(row) if row else None


def get_many(session: Session, refs: Iterable[str]) -> dict[str, StoredEntity]:
    wanted = list(set(refs))
    found: dict[str, StoredEntity] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = _select().where(_ENTITIES.c.ref.in_(wanted[start : start + _CHUNK]))
        found.update((r.ref, _stored(r)) for r in session.execute(query))
    return found


def services_of(session: Session, *, owner: str, service_name: str | None) -> list[StoredEntity]:
    """Components of type service owned by ``owner`` or reporting ``service_name``, by ref."""
    c = _ENTITIES.c
    # Only the two indexed columns in the condition: with ``kind`` in it too, SQLite may choose
    # the kind index and scan every component.
    match = (
        c.owner == owner
        if service_name is None
        else sa.or_(c.owner == owner, c.service_name == service_name)
    )
    rows = session.execute(_select().where(match).order_by(c.ref))
    return [e for e in map(_stored, rows) if e.kind == "Component" and e.type == "service"]


def _values(entity: StoredEntity) -> dict[str, Any]:
    return {
        **{column.name: getattr(entity, column.name) for column in _COLUMNS},
        "namespace": entity.ref.split(":", 1)[1].split("/", 1)[0],
    }


def add(session: Session, entities: Sequence[StoredEntity]) -> None:
    """Insert new entities."""
    if entities:
        session.execute(sa.insert(_ENTITIES), [_values(e) for e in entities])


def replace(session: Session, entities: Sequence[StoredEntity]) -> None:
    """Overwrite stored entities (same refs)."""
    if entities:
        columns = [name for name in _values(entities[0]) if name != "ref"]
        statement = (
            sa.update(_ENTITIES)
            .where(_ENTITIES.c.ref == sa.bindparam("_ref"))
            .values({name: sa.bindparam(f"_{name}") for name in columns})
        )
        session.execute(
            statement,
            [{f"_{name}": value for name, value in _values(e).items()} for e in entities],
        )


def delete(session: Session, refs: Sequence[str]) -> None:
    """Remove the entities and the relations they declare."""
    for start in range(0, len(refs), _CHUNK):
        chunk = list(refs[start : start + _CHUNK])
        session.execute(sa.delete(_RELATIONS).where(_RELATIONS.c.origin.in_(chunk)))
        session.execute(sa.delete(_ENTITIES).where(_ENTITIES.c.ref.in_(chunk)))


def set_relations(session: Session, declared: Mapping[str, Iterable[Relation]]) -> None:
    """Replace the relations each entity (key) declares: both directions of each reference."""
    origins = list(declared)
    for start in range(0, len(origins), _CHUNK):
        chunk = origins[start : start + _CHUNK]
        session.execute(sa.delete(_RELATIONS).where(_RELATIONS.c.origin.in_(chunk)))
    rows = [
        {"origin": origin, "source_ref": s, "type": t, "target_ref": o}
        for origin, relations in declared.items()
        for s, t, o in sorted(set(relations))
    ]
    if rows:
        session.execute(sa.insert(_RELATIONS), rows)


def relations_of(session: Session, refs: Iterable[str]) -> list[Relation]:
    """The relations whose source is one of ``refs``, each once."""
    wanted = list(set(refs))
    if not wanted:
        return []
    c = _RELATIONS.c
    query = sa.select(c.source_ref, c.type, c.target_ref).where(c.source_ref.in_(wanted)).distinct()
    return [(s, t, o) for s, t, o in session.execute(query)]


def referrers(session: Session, ref: str) -> list[str]:
    """The other entities whose descriptors refer to ``ref``, sorted."""
    c = _RELATIONS.c
    query = (
        sa.select(c.origin)
        .where((c.target_ref == ref) & (c.origin != ref))
        .distinct()
        .order_by(c.origin)
    )
    return list(session.scalars(query))
