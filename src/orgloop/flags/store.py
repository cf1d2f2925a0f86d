"""The flags slice's only SQL: one row per flag, its environments kept as one JSON document;
one row per saved group, its values kept as one JSON list."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.flags.models import EnvironmentConfig, Flag, SavedGroup
from orgloop.kernel.db import Base


class _FlagRow(Base):
    __tablename__ = "flags"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(20))
    default_value: Mapped[Any | None] = mapped_column(sa.JSON)
    owner: Mapped[str] = mapped_column(sa.String(400), index=True)
    tags: Mapped[list[Any]] = mapped_column(sa.JSON)
    description: Mapped[str] = mapped_column(sa.Text)
    environments: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


def to_model(row: _FlagRow) -> Flag:
    return Flag(
        key=row.key,
        type=row.type,
        default_value=row.default_value,
        owner=row.owner,
        tags=list(row.tags),
        description=row.description,
        environments={k: EnvironmentConfig(**v) for k, v in sorted(row.environments.items())},
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get(session: Session, key: str, *, for_update: bool = False) -> _FlagRow | None:
    query = sa.select(_FlagRow).where(_FlagRow.key == key)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def add(session: Session, flag: Flag) -> None:
    session.add(
        _FlagRow(
            key=flag.key,
            type=flag.type,
            default_value=flag.default_value,
            owner=flag.owner,
            tags=flag.tags,
            description=flag.description,
            environments={k: v.model_dump() for k, v in flag.environments.items()},
            created_at=flag.created_at,
            updated_at=flag.updated_at,
        )
    )


def save(session: Session, row: _FlagRow, flag: Flag) -> None:
    """Write ``flag`` over its row (JSON columns are replaced whole so the change is seen)."""
    row.default_value = flag.default_value
    row.owner = flag.owner
    row.tags = list(flag.tags)
    row.description = flag.description
    row.environments = {k: v.model_dump() for k, v in flag.environments.items()}
    row.updated_at = flag.updated_at


def delete(session: Session, row: _FlagRow | _SavedGroupRow) -> None:
    session.delete(row)


def all_flags(session: Session, *, owner: str | None = None) -> Sequence[_FlagRow]:
    query = sa.select(_FlagRow).order_by(_FlagRow.key)
    if owner is not None:
        query = query.where(_FlagRow.owner == owner)
    return session.scalars(query).all()


class _SavedGroupRow(Base):
    __tablename__ = "flag_saved_groups"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(400), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    values: Mapped[list[Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


def group_to_model(row: _SavedGroupRow) -> SavedGroup:
    return SavedGroup(
        key=row.key,
        owner=row.owner,
        description=row.description,
        values=list(row.values),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_group(session: Session, key: str, *, for_update: bool = False) -> _SavedGroupRow | None:
    query = sa.select(_SavedGroupRow).where(_SavedGroupRow.key == key)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def add_group(session: Session, group: SavedGroup) -> None:
    session.add(_SavedGroupRow(**group.model_dump()))


def save_group(row: _SavedGroupRow, group: SavedGroup) -> None:
    row.owner = group.owner
    row.description = group.description
    row.values = list(group.values)
    row.updated_at = group.updated_at


def all_groups(
    session: Session, *, owner: str | None = None, keys: Collection[str] | None = None
) -> Sequence[_SavedGroupRow]:
    query = sa.select(_SavedGroupRow).order_by(_SavedGroupRow.key)
    if owner is not None:
        query = query.where(_SavedGroupRow.owner == owner)
    if keys is not None:
        query = query.where(_SavedGroupRow.key.in_(sorted(keys)))
    return session.scalars(query).all()


def lock_groups(session: Session, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` exist, each held with a share lock until the transaction ends.

    A flag write that names saved groups takes this lock, and deleting a group takes an update
    lock on its row first, so the two serialise on PostgreSQL: either the delete sees the new rule
    and is refused, or the flag write finds the group gone.  (On SQLite ``FOR SHARE`` renders as
    nothing: write transactions hold the database's write lock from their start instead.)
    """
    if not keys:
        return set()
    query = (
        sa.select(_SavedGroupRow.key)
        .where(_SavedGroupRow.key.in_(sorted(keys)))
        .order_by(_SavedGroupRow.key)
        .with_for_update(read=True)
    )
    return set(session.scalars(query))
