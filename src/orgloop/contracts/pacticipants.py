"""What a Pact Broker client records besides contracts: environments as resources, service
versions with branches and tags, pacticipant metadata, and deployments by their ids.

Pacticipants are catalog services: one the catalog does not know is a 404 naming it, never
created on the fly (the catalog is the one place services are declared). Environments are the
names deployments are recorded in; one created here gets a stable uuid and a display name, and
an environment known only from deployments is listed too. ``ContractService.broker`` is the
instance the broker routes use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from orgloop.catalog.service import CatalogService, EntityFilter
from orgloop.contracts import brokerstore as bs
from orgloop.contracts import store
from orgloop.contracts.semver import parse_semver
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import Conflict, InvalidInput, NotFound

_NAMESPACE = uuid.UUID("6f1d3c1e-8a55-4a57-9a51-5d0f4ad0c0de")
_PRODUCTION = frozenset({"production", "prod"})


@dataclass(frozen=True)
class Environment:
    uuid: str
    name: str
    display_name: str
    production: bool
    created_at: datetime | None


@dataclass(frozen=True)
class Version:
    service: str
    number: str
    branches: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    build_url: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Pacticipant:
    name: str
    display_name: str
    owner: str | None
    main_branch: str | None = None
    repository_url: str | None = None


@dataclass(frozen=True)
class Verified:
    success: bool
    at: datetime


@dataclass(frozen=True)
class Running:
    """One active deployment (or supported release) and the id the broker names it by."""

    id: int
    service: str
    version: str
    environment: str
    kind: str
    started_at: datetime


def environment_uuid(name: str) -> str:
    """The stable uuid of an environment name."""
    return str(uuid.uuid5(_NAMESPACE, name))


class BrokerRecords:
    def __init__(
        self, *, db: Database, audit: AuditLog, clock: Clock, catalog: CatalogService,
        owner: Callable[[str], str],
    ) -> None:  # fmt: skip
        self._db, self._audit, self._clock, self._catalog = db, audit, clock, catalog
        self._owner = owner

    # -- environments ------------------------------------------------------------------------

    def environments(self) -> list[Environment]:
        with self._db.reading() as session:
            rows = bs.environments(session)
            seen = bs.deployment_environments(session)
        found = {r.name: _environment(r) for r in rows}
        for name in seen:
            if name not in found:
                found[name] = Environment(
                    uuid=environment_uuid(name), name=name, display_name=name,
                    production=name in _PRODUCTION, created_at=None,
                )  # fmt: skip
        return [found[n] for n in sorted(found)]

    def environment(self, key: str) -> Environment:
        """An environment by its uuid or its name."""
        for env in self.environments():
            if key in (env.uuid, env.name):
                return env
        raise NotFound(f"no environment {key!r}", details={"environment": key})

    def create_environment(
        self, name: str, *, display_name: str | None, production: bool, actor: Principal
    ) -> Environment:
        actor.require_admin("creating an environment")
        if not name.strip():
            raise InvalidInput.at("name", "an environment needs a name")
        if any(e.name == name and e.created_at for e in self.environments()):
            raise Conflict(f"the environment {name!r} already exists", details={"name": name})
        with self._db.transaction() as session:
            row = bs.EnvironmentRow(
                uuid=environment_uuid(name), name=name, display_name=display_name,
                production=production, created_at=self._clock.now(),
            )  # fmt: skip
            store.add(session, row)
            result = _environment(row)
            self._audit.record(
                session, actor=actor, action="contracts.environment.create", kind="environment",
                ref=name, before=None, after={"name": name, "production": production},
            )  # fmt: skip
        return result

    # -- pacticipants ------------------------------------------------------------------------

    def pacticipants(self) -> list[Pacticipant]:
        """Every catalog component, with the metadata a broker client set."""
        page = self._catalog.list_entities(EntityFilter(kind="component"), limit=10_000)
        with self._db.reading() as session:
            meta = bs.pacticipants(session)
        return [_pacticipant(e.name, e.title, e.owner, meta.get(e.name)) for e in page.items]

    def pacticipant(self, name: str) -> Pacticipant:
        owner = self._owner(name)
        with self._db.reading() as session:
            meta = bs.pacticipants(session).get(name)
        return _pacticipant(name, None, owner, meta)

    def update_pacticipant(
        self, name: str, changes: dict[str, str | None], *, actor: Principal
    ) -> Pacticipant:
        """Set the display name, main branch or repository URL of a catalog service."""
        actor.require_write(owner=self._owner(name), what=f"the pacticipant {name}")
        with self._db.transaction() as session:
            row = session.get(bs.PacticipantRow, name)
            if row is None:
                row = bs.PacticipantRow(name=name)
                session.add(row)
            for key, value in changes.items():
                if value is not None:
                    setattr(row, key, value)
            session.flush()
        return self.pacticipant(name)

    # -- versions, branches and tags ---------------------------------------------------------

    def version(self, service: str, number: str) -> Version:
        self._owner(service)
        with self._db.reading() as session:
            if not bs.version_known(session, service, number):
                raise NotFound(
                    f"no version {number} of {service} is recorded",
                    details={"pacticipant": service, "version": number},
                )
            return _version(session, service, number)

    def latest_version(
        self, service: str, *, tag: str | None = None, branch: str | None = None
    ) -> Version:
        """The newest version (by semver where every number is one, else by recording order),
        optionally among those with a tag or on a branch."""
        self._owner(service)
        with self._db.reading() as session:
            numbers = [r.version for r in bs.versions_of(session, service)]
            numbers += [r.version for r in store.api_versions(session, service)]
            for kind, name in (("tag", tag), ("branch", branch)):
                if name is not None:
                    labelled = {r.version for r in bs.labels(session, service, kind=kind)
                                if r.name == name}  # fmt: skip
                    numbers = [n for n in numbers if n in labelled]
            if not numbers:
                what = f" tagged {tag}" if tag else f" on branch {branch}" if branch else ""
                raise NotFound(f"no version of {service}{what} is recorded")
            return _version(session, service, _newest(numbers))

    def record_version(
        self, service: str, number: str, *, actor: Principal, branch: str | None = None,
        tags: tuple[str, ...] = (), build_url: str | None = None,
    ) -> Version:  # fmt: skip
        """Create (or complete) a version with its branch and tags; existing labels stay."""
        actor.require_write(owner=self._owner(service), what=f"the versions of {service}")
        if not number.strip():
            raise InvalidInput.at("version", "a version needs a number")
        now = self._clock.now()
        with self._db.transaction() as session:
            row = bs.get_version(session, service, number)
            if row is None:
                row = bs.VersionRow(service=service, version=number, created_at=now)
                store.add(session, row)
            if build_url:
                row.build_url = build_url
            wanted = [("branch", branch)] if branch else []
            wanted += [("tag", t) for t in tags]
            for kind, name in wanted:
                if not bs.has_label(session, service, number, kind, name):
                    store.add(session, bs.LabelRow(
                        service=service, version=number, kind=kind, name=name, created_at=now,
                    ))  # fmt: skip
            return _version(session, service, number)

    def verification(
        self, provider: str, provider_version: str, consumer: str, consumer_version: str
    ) -> Verified | None:
        """The latest recorded verification of one provider version against one consumer
        version, if any."""
        with self._db.reading() as session:
            row = bs.latest_verification(
                session, provider=provider, provider_version=provider_version,
                consumer=consumer, consumer_version=consumer_version,
            )  # fmt: skip
        return Verified(success=row.success, at=row.created_at) if row else None

    def lines(self, services: set[str]) -> tuple[dict[tuple[str, str], set[tuple[str, str]]], dict[str, str | None]]:  # fmt: skip
        """The branches and tags of every version of these services, and their main branches."""
        labels: dict[tuple[str, str], set[tuple[str, str]]] = {}
        with self._db.reading() as session:
            for service in sorted(services):
                for row in bs.labels(session, service):
                    labels.setdefault((service, row.version), set()).add((row.kind, row.name))
            meta = bs.pacticipants(session)
        return labels, {s: meta[s].main_branch if s in meta else None for s in services}

    # -- deployments by id -------------------------------------------------------------------

    def running(self, environment: str, kind: str, service: str | None = None) -> list[Running]:
        with self._db.reading() as session:
            rows = bs.deployment_rows(session, environment=environment, kind=kind, service=service)
        return [_running(r) for r in rows]

    def running_by_id(self, row_id: int, kind: str) -> Running:
        with self._db.reading() as session:
            row = bs.deployment_row(session, row_id)
        if row is None or row.kind != kind:
            noun = "deployed" if kind == "deployment" else "released"
            raise NotFound(f"no {noun} version {row_id}", details={"id": row_id})
        return _running(row)


def _newest(numbers: list[str]) -> str:
    try:
        return max(numbers, key=parse_semver)
    except InvalidInput:
        return numbers[-1]


def _version(session: Session, service: str, number: str) -> Version:
    row = bs.get_version(session, service, number)
    found = bs.labels(session, service, number)
    return Version(
        service=service, number=number,
        branches=[r.name for r in found if r.kind == "branch"],
        tags=[r.name for r in found if r.kind == "tag"],
        build_url=row.build_url if row else None, created_at=row.created_at if row else None,
    )  # fmt: skip


def _environment(row: bs.EnvironmentRow) -> Environment:
    return Environment(
        uuid=row.uuid, name=row.name, display_name=row.display_name or row.name,
        production=row.production, created_at=row.created_at,
    )  # fmt: skip


def _pacticipant(
    name: str, title: str | None, owner: str | None, meta: bs.PacticipantRow | None
) -> Pacticipant:
    return Pacticipant(
        name=name, owner=owner,
        display_name=(meta.display_name if meta and meta.display_name else None) or title or name,
        main_branch=meta.main_branch if meta else None,
        repository_url=meta.repository_url if meta else None,
    )  # fmt: skip


def _running(row: store.DeploymentRow) -> Running:
    return Running(
        id=row.id, service=row.service, version=row.version, environment=row.environment,
        kind=row.kind, started_at=row.started_at,
    )  # fmt: skip
