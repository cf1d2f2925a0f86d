"""The SQL of what only a Pact Broker client records: environments as resources, pacticipant
versions with their branches and tags, and pacticipant metadata (display name, main branch)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.contracts.store import (
    ApiVersionRow,
    ContractRow,
    DeploymentRow,
    VerificationRow,
)
from orgloop.kernel.db import Base


class EnvironmentRow(Base):
    __tablename__ = "contracts_environments"
    __table_args__ = (sa.UniqueConstraint("name", name="uq_contracts_environments_name"),)

    uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    production: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class VersionRow(Base):
    __tablename__ = "contracts_versions"
    __table_args__ = (sa.UniqueConstraint("service", "version", name="uq_contracts_versions"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(100))
    build_url: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class LabelRow(Base):
    """A branch (``kind`` ``branch``) or a tag (``tag``) of one service version."""

    __tablename__ = "contracts_version_labels"
    __table_args__ = (
        sa.UniqueConstraint("service", "version", "kind", "name", name="uq_contracts_labels"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class PacticipantRow(Base):
    __tablename__ = "contracts_pacticipants"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    main_branch: Mapped[str | None] = mapped_column(sa.String(200))
    repository_url: Mapped[str | None] = mapped_column(sa.String(1000))


def environments(session: Session) -> list[EnvironmentRow]:
    return list(session.scalars(sa.select(EnvironmentRow).order_by(EnvironmentRow.name)))


def deployment_environments(session: Session) -> list[str]:
    """The environments orgloop has recorded a deployment or release in."""
    query = sa.select(DeploymentRow.environment).distinct()
    return sorted(session.scalars(query))


def get_version(session: Session, service: str, version: str) -> VersionRow | None:
    query = sa.select(VersionRow).where(VersionRow.service == service)
    return session.scalars(query.where(VersionRow.version == version)).first()


def version_known(session: Session, service: str, version: str) -> bool:
    """Whether anything is recorded of this service version (a broker version, an API
    version, a contract it published, a verification of it or a deployment)."""
    checks = (
        (VersionRow.id, VersionRow.service, VersionRow.version),
        (ApiVersionRow.id, ApiVersionRow.service, ApiVersionRow.version),
        (ContractRow.id, ContractRow.consumer, ContractRow.consumer_version),
        (VerificationRow.id, VerificationRow.provider, VerificationRow.provider_version),
        (DeploymentRow.id, DeploymentRow.service, DeploymentRow.version),
    )
    for key, owner, number in checks:
        found = session.execute(sa.select(key).where(owner == service, number == version).limit(1))
        if found.first() is not None:
            return True
    return False


def versions_of(session: Session, service: str) -> list[VersionRow]:
    query = sa.select(VersionRow).where(VersionRow.service == service)
    return list(session.scalars(query.order_by(VersionRow.id)))


def labels(
    session: Session, service: str, version: str | None = None, *, kind: str | None = None
) -> list[LabelRow]:
    query = sa.select(LabelRow).where(LabelRow.service == service)
    if version is not None:
        query = query.where(LabelRow.version == version)
    if kind is not None:
        query = query.where(LabelRow.kind == kind)
    return list(session.scalars(query.order_by(LabelRow.id)))


def has_label(session: Session, service: str, version: str, kind: str, name: str) -> bool:
    found = labels(session, service, version, kind=kind)
    return any(label.name == name for label in found)


def pacticipants(session: Session) -> dict[str, PacticipantRow]:
    return {row.name: row for row in session.scalars(sa.select(PacticipantRow))}


def deployment_rows(
    session: Session, *, environment: str, kind: str, service: str | None = None
) -> list[DeploymentRow]:
    """The active deployments (or supported releases) of an environment, with their ids."""
    query = sa.select(DeploymentRow).where(
        DeploymentRow.environment == environment,
        DeploymentRow.kind == kind,
        DeploymentRow.active.is_(True),
    )
    if service is not None:
        query = query.where(DeploymentRow.service == service)
    return list(session.scalars(query.order_by(DeploymentRow.id)))


def deployment_row(session: Session, row_id: int) -> DeploymentRow | None:
    return session.get(DeploymentRow, row_id)


def latest_verification(
    session: Session, *, provider: str, provider_version: str, consumer: str, consumer_version: str
) -> VerificationRow | None:
    query = sa.select(VerificationRow).where(
        VerificationRow.provider == provider,
        VerificationRow.provider_version == provider_version,
        VerificationRow.consumer == consumer,
        VerificationRow.consumer_version == consumer_version,
    )
    return session.scalars(query.order_by(VerificationRow.id.desc()).limit(1)).first()
