"""The contracts slice's only SQL: documents by content hash, API versions, consumer contracts,
verification results and the deployments and releases of each environment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
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


def digest_of(content: Any) -> str:
    """sha256 of the canonical JSON: key order and whitespace do not change the digest."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- documents ---------------------------------------------------------------------------------


def put_document(session: Session, content: Any) -> str:
    """Store ``content`` once; the same content under any version shares one row."""
    digest = digest_of(content)
    if session.get(_DocumentRow, digest) is None:
        session.add(_DocumentRow(digest=digest, content=content))
        session.flush()
    return digest


def get_documents(session: Session, digests: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    rows = session.scalars(sa.select(_DocumentRow).where(_DocumentRow.digest.in_(wanted)))
    return {r.digest: r.content for r in rows}


# -- API versions ------------------------------------------------------------------------------


def api_versions(session: Session, service: str) -> list[ApiVersionRow]:
    query = sa.select(ApiVersionRow).where(ApiVersionRow.service == service)
    return list(session.scalars(query))


def api_versions_of(session: Session, pairs: Iterable[tuple[str, str]]) -> list[ApiVersionRow]:
    """The API versions of the given (service, version) pairs that have one."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    key = sa.tuple_(ApiVersionRow.service, ApiVersionRow.version)
    return list(session.scalars(sa.select(ApiVersionRow).where(key.in_(wanted))))


def add_api_version(session: Session, row: ApiVersionRow) -> None:
    session.add(row)
    session.flush()


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


def contracts_of_consumer(session: Session, consumer: str, version: str) -> list[ContractRow]:
    query = sa.select(ContractRow).where(
        ContractRow.consumer == consumer, ContractRow.consumer_version == version
    )
    return list(session.scalars(query.order_by(ContractRow.provider)))


def contracts_on_provider(
    session: Session, provider: str, consumers: Iterable[tuple[str, str]]
) -> list[ContractRow]:
    """The contracts on ``provider`` of the given (consumer, consumer version) pairs."""
    wanted = sorted(set(consumers))
    if not wanted:
        return []
    key = sa.tuple_(ContractRow.consumer, ContractRow.consumer_version)
    query = sa.select(ContractRow).where(ContractRow.provider == provider, key.in_(wanted))
    return list(session.scalars(query))


def list_contracts(session: Session, *, consumer: str | None, provider: str | None) -> list[ContractRow]:  # fmt: skip
    query = sa.select(ContractRow)
    if consumer:
        query = query.where(ContractRow.consumer == consumer)
    if provider:
        query = query.where(ContractRow.provider == provider)
    return list(session.scalars(query.order_by(ContractRow.id)))


def add(session: Session, row: Base) -> None:
    session.add(row)
    session.flush()


def latest_verifications(
    session: Session, provider: str, provider_version: str, consumer: str, consumer_version: str
) -> VerificationRow | None:
    return session.scalar(
        sa.select(VerificationRow)
        .where(
            VerificationRow.provider == provider,
            VerificationRow.provider_version == provider_version,
            VerificationRow.consumer == consumer,
            VerificationRow.consumer_version == consumer_version,
        )
        .order_by(VerificationRow.id.desc())
        .limit(1)
    )


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


def running(session: Session, environment: str) -> list[tuple[str, str]]:
    """(service, version) of what runs or is supported in one environment (no ORM objects)."""
    query = sa.select(DeploymentRow.service, DeploymentRow.version).where(
        DeploymentRow.environment == environment, DeploymentRow.active.is_(True)
    )
    return [(s, v) for s, v in session.execute(query)]


def verifications_touching(session: Session, service: str, version: str) -> list[VerificationRow]:
    """Every verification result where this version is the provider or the consumer, oldest first."""
    query = sa.select(VerificationRow).where(
        sa.or_(
            sa.and_(
                VerificationRow.provider == service, VerificationRow.provider_version == version
            ),
            sa.and_(
                VerificationRow.consumer == service, VerificationRow.consumer_version == version
            ),
        )
    )
    return list(session.scalars(query.order_by(VerificationRow.id)))
