"""Database engine, sessions and the migrations runner (SQLite by default, PostgreSQL too).

Each slice owns its tables and its Alembic branch in ``orgloop/<slice>/migrations/versions``;
``upgrade`` applies the head of every branch, so slices evolve their schemas independently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every slice's rows (rows stay private to each slice's store)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: sa.JSON, list[Any]: sa.JSON}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver would begin transactions lazily, at the first write, so a transaction's reads
    # would not be isolated from other writers; ``_sqlite_begin`` begins them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_WRITE = "orgloop_write"


def _sqlite_begin(conn: sa.Connection) -> None:
    """A write transaction (``Database.transaction``) takes SQLite's write lock when it begins:
    what it reads stays true until it commits, as row locks ensure on PostgreSQL.  Reads begin
    deferred and run alongside (WAL)."""
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migration_locations() -> list[str]:
    return sorted(str(p) for p in PACKAGE_ROOT.glob("*/migrations/versions") if p.is_dir())


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_ROOT / "kernel" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(migration_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every slice's migrations up to its head (idempotent)."""
    command.upgrade(alembic_config(engine), "heads")


class Database:
    """An engine and its sessions; ``transaction()`` is the unit of work of a service call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back whole if it raises.

        On SQLite it holds the database's write lock from its start (see ``_sqlite_begin``).
        """
        with self._sessions.begin() as session:
            if self.dialect == "sqlite":
                session.connection(execution_options={_WRITE: True})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
