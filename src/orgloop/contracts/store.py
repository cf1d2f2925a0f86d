"""The contracts slice's only SQL: documents by content hash, API versions, consumer contracts,
verification results and the deployments and releases of each environment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.kernel.db import Base


class _DocumentRow(Base):
    __tablename__ = "contracts_documents"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[Any] = mapped_column(sa.JSON)


class ApiVersionRow(Base):
    __tablename__ = "contracts_api_versions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(sa.String(200))
    api: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(100))
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ContractRow(Base):
    __tablename__ = "contracts_consumer_contracts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(sa.String(200))
    consumer_version: Mapped[str] = mapped_column(sa.String(100))
    provider: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class VerificationRow(Base):
    __tablename__ = "contracts_verifications"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(sa.String(200))
    provider_version: Mapped[str] = mapped_column(sa.String(100))
    consumer: Mapped[str] = mapped_column(sa.String(200))
    consumer_version: Mapped[str] = mapped_column(sa.String(100))
    success: Mapped[bool] = mapped_column(sa.Boolean)
    results: Mapped[Any | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class DeploymentRow(Base):
    __tablename__ = "contracts_deployments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(sa.String(200))
    environment: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(sa.Boolean)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    recorded_by: Mapped[str | None] = mapped_column(sa.String(200))  # the audit log's label


def digest_of(content: Any) -> str:
    """sha256 of the canonical JSON: key order and whitespace do not change the digest."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- documents ---------------------------------------------------------------------------------


def put_document(session: Session, content: Any) -> str:
    """Store ``content`` once; the same content under any version shares one row."""
    digest = digest_of(content)
    if session.get(_DocumentRow, digest) is None:
        # Two requests may store the same document at once (two versions, one document): the
        # second insert does nothing instead of failing on the key.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        row = {"digest": digest, "content": content}
        session.execute(insert(_DocumentRow).values(**row).on_conflict_do_nothing())
    return digest


def get_documents(session: Session, digests: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    query = sa.select(_DocumentRow.digest, _DocumentRow.content)
    rows = session.execute(query.where(_DocumentRow.digest.in_(wanted)))
    return {row.digest: row.content for row in rows}


# -- API versions ------------------------------------------------------------------------------


def api_versions(session: Session, service: str) -> list[ApiVersionRow]:
    query = sa.select(ApiVersionRow).where(ApiVersionRow.service == service)
    return list(session.scalars(query))


# -- consumer contracts and verifications ------------------------------------------------------


def get_contract(
    session: Session, consumer: str, consumer_version: str, provider: str
) -> ContractRow | None:
    return session.scalar(
        sa.select(ContractRow).where(
            ContractRow.consumer == consumer,
            ContractRow.consumer_version == consumer_version,
            ContractRow.provider == provider,
        )
    )


def list_contracts(session: Session, *, consumer: str | None, provider: str | None) -> list[ContractRow]:  # fmt: skip
    query = sa.select(ContractRow)
    if consumer:
        query = query.where(ContractRow.consumer == consumer)
    if provider:
        query = query.where(ContractRow.provider == provider)
    return list(session.scalars(query.order_by(ContractRow.id)))


def versions_with_digest(session: Session, *, provider: str, consumer: str, digest: str) -> list[str]:  # fmt: skip
    """The consumer versions whose contract on ``provider`` has exactly this content."""
    query = sa.select(ContractRow.consumer_version).where(
        ContractRow.provider == provider,
        ContractRow.consumer == consumer,
        ContractRow.digest == digest,
    )
    return list(session.scalars(query.order_by(ContractRow.id)))


def add(session: Session, row: Base) -> None:
    session.add(row)
    session.flush()


# -- deployments and releases ------------------------------------------------------------------


def current(session: Session, environment: str | None) -> list[DeploymentRow]:
    """What runs (deployments) or is supported (releases) in one environment, or in all."""
    query = sa.select(DeploymentRow).where(DeploymentRow.active.is_(True))
    if environment is not None:
        query = query.where(DeploymentRow.environment == environment)
    order = (DeploymentRow.environment, DeploymentRow.service, DeploymentRow.id)
    return list(session.scalars(query.order_by(*order)))


def active_of(session: Session, service: str, environment: str, kind: str) -> list[DeploymentRow]:
    return list(
        session.scalars(
            sa.select(DeploymentRow).where(
                DeploymentRow.service == service,
                DeploymentRow.environment == environment,
                DeploymentRow.kind == kind,
                DeploymentRow.active.is_(True),
            )
        )
    )


# -- can-i-deploy's read path -------------------------------------------------------------------
# It answers on every deploy, so its statements are built once and return plain tuples: building
# a statement and loading ORM objects cost more than the indexed lookups themselves.


class ContractKey(NamedTuple):
    consumer: str
    consumer_version: str
    provider: str
    kind: str
    digest: str


_C, _D, _A, _V = ContractRow, DeploymentRow, ApiVersionRow, VerificationRow
_CONTRACT_COLUMNS = (_C.consumer, _C.consumer_version, _C.provider, _C.kind, _C.digest)
_OWN = (
    sa.select(*_CONTRACT_COLUMNS)
    .where(_C.consumer == sa.bindparam("service"), _C.consumer_version == sa.bindparam("version"))
    .order_by(_C.provider)
)
_RUNS = sa.exists().where(
    _D.service == _C.consumer,
    _D.version == _C.consumer_version,
    _D.environment == sa.bindparam("environment"),
    _D.active.is_(True),
)
_RUNNING_ON = (
    sa.select(*_CONTRACT_COLUMNS)
    .where(_C.provider == sa.bindparam("service"), _RUNS)
    .order_by(_C.consumer, _C.id)
)
_RUNNING_OF = (
    sa.select(_D.service, _D.version, _A.digest)
    .outerjoin(_A, sa.and_(_A.service == _D.service, _A.version == _D.version))
    .where(
        _D.environment == sa.bindparam("environment"),
        _D.active.is_(True),
        _D.service.in_(sa.bindparam("services", expanding=True)),
    )
    .order_by(_D.service, _D.id)
)
_DIGEST = sa.select(_A.digest).where(
    _A.service == sa.bindparam("service"), _A.version == sa.bindparam("version")
)
_VERDICTS = (
    sa.select(_V.provider, _V.provider_version, _V.consumer, _V.consumer_version, _V.success)
    .where(
        sa.or_(
            sa.and_(
                _V.provider == sa.bindparam("service"),
                _V.provider_version == sa.bindparam("version"),
            ),
            sa.and_(
                _V.consumer == sa.bindparam("service"),
                _V.consumer_version == sa.bindparam("version"),
            ),
        )
    )
    .order_by(_V.id)
)


def contracts_of(conn: Connection, consumer: str, version: str) -> list[ContractKey]:
    """The contracts of one consumer version, by provider."""
    rows = conn.execute(_OWN, {"service": consumer, "version": version})
    return [ContractKey(*r) for r in rows]


def contracts_running_on(conn: Connection, provider: str, environment: str) -> list[ContractKey]:
    """The contracts on ``provider`` of the consumer versions that run (or are supported) in
    the environment, in one query."""
    rows = conn.execute(_RUNNING_ON, {"service": provider, "environment": environment})
    return [ContractKey(*r) for r in rows]


def running_of(
    conn: Connection, environment: str, services: Iterable[str]
) -> list[tuple[str, str, str | None]]:
    """(service, version, API document digest or None) of what the given services run or
    support in one environment: one indexed query, the API versions outer-joined."""
    wanted = sorted(set(services))
    if not wanted:
        return []
    rows = conn.execute(_RUNNING_OF, {"environment": environment, "services": wanted})
    return [(s, v, digest) for s, v, digest in rows]


def digest_of_version(conn: Connection, service: str, version: str) -> str | None:
    found: str | None = conn.scalar(_DIGEST, {"service": service, "version": version})
    return found


def verdicts_touching(
    conn: Connection, service: str, version: str
) -> dict[tuple[str, str, str, str], bool]:
    """(provider, its version, consumer, its version) -> success, for every verification result
    where this version is the provider or the consumer; the latest result wins."""
    rows = conn.execute(_VERDICTS, {"service": service, "version": version})
    return {(p, pv, c, cv): bool(ok) for p, pv, c, cv, ok in rows}
