"""Database engine, sessions and the migrations runner (SQLite by default, PostgreSQL too).

Each slice owns its tables and its Alembic branch in ``orgloop/<slice>/migrations/versions``;
``upgrade`` applies the head of every branch, so slices evolve their schemas independently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from orgloop.kernel.errors import Conflict
from orgloop.kernel.utctime import keep_time_zones

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
        keep_time_zones(engine)
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
    """Apply every slice's migrations up to its head (idempotent).

    Replicas starting together on one PostgreSQL database take turns: the first migrates, the
    others wait for it and then find nothing to do. PostgreSQL's DDL is transactional, so a
    replica that dies mid-way leaves the schema as it was, for the next one to migrate.
    """
    with advisory_lock(engine, "orgloop.migrations"):
        command.upgrade(alembic_config(engine), "heads")


def lock_key(name: str) -> int:
    """The 64-bit key of PostgreSQL's advisory lock called ``name`` (stable across processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the advisory lock ``name`` for the block; other replicas asking for it wait.

    A session-level lock on a connection of its own: it holds across transactions and goes when
    that connection does, so a replica that dies releases it. SQLite serves one process, and
    needs none.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    key = lock_key(name)
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
            conn.commit()


_UNIQUE_SQLSTATE = "23505"


def is_unique_violation(exc: sa.exc.IntegrityError) -> bool:
    """A duplicate key (PostgreSQL's SQLSTATE 23505, SQLite's UNIQUE or PRIMARY KEY failure)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _UNIQUE_SQLSTATE:
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY") or (
        "UNIQUE constraint failed" in str(orig)
    )


def unique_conflict(exc: sa.exc.IntegrityError) -> Conflict:
    """The 409 of a duplicate key: the resource exists (another request just created it)."""
    diag = getattr(exc.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    return Conflict(
        "it already exists: another request created it at the same time; read it and retry",
        details={"constraint": constraint} if constraint else {},
    )


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
        A unique constraint violated at a flush or at the commit (two requests creating the same
        thing at once, on PostgreSQL) is a ``Conflict`` (409), on both databases.
        """
        try:
            with self._sessions.begin() as session:
                if self.dialect == "sqlite":
                    session.connection(execution_options={_WRITE: True})
                yield session
        except sa.exc.IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise unique_conflict(exc) from None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Run the block on one replica at a time (``advisory_lock``)."""
        with advisory_lock(self.engine, name):
            yield

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
