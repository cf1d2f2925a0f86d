"""The contracts slice's public interface: the API version registry, consumer contracts,
verification results, deployments and releases, and can-i-deploy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from orgloop.catalog.service import CatalogService
from orgloop.contracts import history, inputs, store
from orgloop.contracts.candeploy import compat, deployments, facts
from orgloop.contracts.candeploy import observed as observed_check
from orgloop.contracts.candeploy.memo import Memo
from orgloop.contracts.models import (
    ApiVersion,
    ApiVersionCreate,
    CanIDeploy,
    Changelog,
    ConsumerContract,
    ContractCreate,
    Deployment,
    DeploymentCreate,
    DeploymentRecord,
    DeprecationReport,
    Finding,
    PactVerificationCreate,
    Reason,
    Verification,
    VerificationCreate,
)
from orgloop.contracts.observed import (
    OBSERVED_WINDOW,
    ObservedConsumers,
    ObservedPolicy,
    ObservedTraffic,
    ObservedWarning,
    nothing_observed,
)
from orgloop.contracts.openapi.model import LEVEL_RANK, LEVELS
from orgloop.contracts.pacticipants import BrokerRecords
from orgloop.contracts.semver import SemVer, is_major_bump, parse_semver
from orgloop.contracts.sunset import deprecations
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import Conflict, NotFound, OrgloopError

_CACHE_LIMIT = 4096


class ContractService:
    def __init__(
        self,
        *,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        bus: EventBus,
        catalog: CatalogService,
        observed: ObservedTraffic = nothing_observed,
    ) -> None:
        self._observed = observed  # who calls a provider, from traces (wired in app.py)
        self._db = db
        self._audit = audit
        self._clock = clock
        self._bus = bus
        self._catalog = catalog
        # Documents are immutable (keyed by content hash), so caching them, and what is computed
        # from them (diffs, contract checks), is always safe.
        self._documents = Memo(limit=_CACHE_LIMIT)
        self._results = Memo(limit=_CACHE_LIMIT)
        # What only a Pact Broker client records (environments, version labels, metadata).
        self.broker = BrokerRecords(
            db=db, audit=audit, clock=clock, catalog=catalog, owner=self._owner
        )

    # -- API version registry ----------------------------------------------------------------

    def publish_api_version(
        self, service: str, body: ApiVersionCreate, *, actor: Principal
    ) -> ApiVersion:
        """Record a version's API document; a breaking change needs a major version bump."""
        owner = self._owner(service)
        actor.require_write(owner=owner, what=f"the API versions of {service}")
        new = parse_semver(body.version)
        document = inputs.load_openapi(body.document)
        with self._db.transaction() as session:
            rows = store.api_versions(session, service)
            same = next((r for r in rows if r.version == body.version), None)
            if same is not None:
                if same.digest == store.digest_of(document):
                    return _api_version(same)
                raise Conflict(
                    f"{service} {body.version} is already recorded with another document; "
                    "versions are immutable, publish a new one",
                    details={"service": service, "version": body.version},
                )
            self._check_semver(session, service, new, body.version, rows, document)
            row = store.ApiVersionRow(
                service=service,
                api=body.api,
                version=body.version,
                digest=store.put_document(session, document),
                created_at=self._clock.now(),
            )
            store.add(session, row)
            result = _api_version(row)
            self._audit.record(
                session, actor=actor, action="contracts.api_version.publish", kind="api_version",
                ref=f"{service}@{body.version}", before=None, after=result.model_dump(mode="json"),
            )  # fmt: skip
        return result

    def _check_semver(
        self,
        session: Session,
        service: str,
        new: SemVer,
        version: str,
        rows: list[store.ApiVersionRow],
        document: dict[str, Any],
    ) -> None:
        lower = [(parse_semver(r.version), r) for r in rows if parse_semver(r.version) < new]
        if not lower:
            return
        base_semver, base = max(lower, key=lambda pair: pair[0])
        if is_major_bump(base_semver, new):
            return
        base_document = self._document(session, base.digest)
        changes = compat.api_diff(base_document, document, today=self._clock.now().date())
        breaking = [c.to_dict() for c in changes if c.level == "error"]
        if breaking:
            raise OrgloopError(
                f"{service} {version} has {len(breaking)} breaking change(s) since {base.version} "
                "but is not a new major version",
                code="semver_violation",
                status=422,
                details={"base": base.version, "version": version, "findings": breaking},
            )

    def list_api_versions(self, service: str) -> list[ApiVersion]:
        with self._db.reading() as session:
            rows = store.api_versions(session, service)
        rows.sort(key=lambda r: parse_semver(r.version))
        return [_api_version(r) for r in rows]

    def changelog(self, service: str, from_version: str, to_version: str) -> Changelog:
        """What changed between two recorded versions, breaking changes first."""
        with self._db.reading() as session:
            rows = {r.version: r for r in store.api_versions(session, service)}
            for version in (from_version, to_version):
                if version not in rows:
                    raise NotFound(f"no API version {version} of {service} is recorded")
            base = self._document(session, rows[from_version].digest)
            revision = self._document(session, rows[to_version].digest)
        changes = compat.api_diff(base, revision, today=self._clock.now().date())
        changes.sort(key=lambda c: (-LEVEL_RANK[c.level], c.operation, c.path, c.id))
        summary = dict.fromkeys(LEVELS, 0)
        for change in changes:
            summary[change.level] += 1
        return Changelog(
            service=service,
            from_version=from_version,
            to_version=to_version,
            changes=[Finding(**c.to_dict()) for c in changes],
            summary=summary,
        )

    # -- consumer contracts and verification results -----------------------------------------

    def publish_contract(
        self, consumer: str, body: ContractCreate, *, actor: Principal
    ) -> ConsumerContract:
        """Record what one consumer version needs of one provider (a Pact or a light contract)."""
        owner = self._owner(consumer)
        actor.require_write(owner=owner, what=f"the contracts of {consumer}")
        self._owner(body.provider)
        content, unsupported = inputs.load_contract(body.kind, body.content)
        with self._db.transaction() as session:
            digest = store.put_document(session, content)
            row = store.get_contract(session, consumer, body.consumer_version, body.provider)
            before = _contract(row).model_dump(mode="json") if row else None
            if row is None:
                row = store.ContractRow(
                    consumer=consumer, consumer_version=body.consumer_version,
                    provider=body.provider, kind=body.kind, digest=digest,
                    created_at=self._clock.now(),
                )  # fmt: skip
                store.add(session, row)
            else:
                row.kind, row.digest = body.kind, digest
            result = _contract(row, unsupported)
            self._audit.record(
                session, actor=actor, action="contracts.contract.publish", kind="contract",
                ref=f"{consumer}@{body.consumer_version}->{body.provider}", before=before,
                after=result.model_dump(mode="json"),
            )  # fmt: skip
        return result

    def list_contracts(
        self, *, consumer: str | None = None, provider: str | None = None
    ) -> list[ConsumerContract]:
        with self._db.reading() as session:
            return [
                _contract(r)
                for r in store.list_contracts(session, consumer=consumer, provider=provider)
            ]

    def record_verification(
        self, provider: str, body: VerificationCreate, *, actor: Principal
    ) -> Verification:
        """A Pact provider verifier's result for one provider version and consumer version."""
        actor.require_write(
            owner=self._owner(provider), what=f"the verification results of {provider}"
        )
        self._owner(body.consumer)
        with self._db.transaction() as session:
            return self._add_verification(session, provider, body, actor=actor)

    def record_pact_verification(
        self, provider: str, consumer: str, digest: str, body: PactVerificationCreate, *,
        actor: Principal,
    ) -> list[Verification]:  # fmt: skip
        """A verifier's result for one pact content: recorded, in one transaction, for every
        consumer version that published that same content, as a Pact Broker does."""
        actor.require_write(
            owner=self._owner(provider), what=f"the verification results of {provider}"
        )
        self._owner(consumer)
        with self._db.transaction() as session:
            versions = store.versions_with_digest(
                session, provider=provider, consumer=consumer, digest=digest
            )
            if not versions:
                raise NotFound(
                    f"no pact of {consumer} on {provider} has the content {digest}",
                    details={"provider": provider, "consumer": consumer, "digest": digest},
                )
            return [
                self._add_verification(
                    session,
                    provider,
                    VerificationCreate(
                        provider_version=body.provider_version,
                        consumer=consumer,
                        consumer_version=version,
                        success=body.success,
                        results=body.results,
                    ),
                    actor=actor,
                )
                for version in versions
            ]

    def _add_verification(
        self, session: Session, provider: str, body: VerificationCreate, *, actor: Principal
    ) -> Verification:
        row = store.VerificationRow(
            provider=provider, created_at=self._clock.now(), **body.model_dump()
        )
        store.add(session, row)
        result = Verification(provider=provider, created_at=row.created_at, **body.model_dump())
        self._audit.record(
            session, actor=actor, action="contracts.verification.record", kind="verification",
            ref=f"{provider}@{body.provider_version}<-{body.consumer}@{body.consumer_version}",
            before=None, after=result.model_dump(mode="json"),
        )  # fmt: skip
        return result

    def contract_content(self, digest: str) -> Any:
        """A stored contract (or document) by its content digest."""
        with self._db.reading() as session:
            found = store.get_documents(session, [digest])
        if digest not in found:
            raise NotFound(f"no content {digest} is stored", details={"digest": digest})
        return found[digest]

    # -- deployments and releases ------------------------------------------------------------

    def record_deployment(
        self, service: str, body: DeploymentCreate, *, actor: Principal
    ) -> Deployment:
        """``service`` now runs ``version`` in the environment, replacing what ran there."""
        return self._change(service, body, kind="deployment", end_kind="deployment", actor=actor)

    def record_release(
        self, service: str, body: DeploymentCreate, *, actor: Principal
    ) -> Deployment:
        """A supported release: considered by can-i-deploy until its support ends."""
        return self._change(service, body, kind="release", end_kind=None, actor=actor)

    def end_support(self, service: str, body: DeploymentCreate, *, actor: Principal) -> None:
        self._change(service, body, kind=None, end_kind="release", actor=actor)

    def undeploy(self, service: str, body: DeploymentCreate, *, actor: Principal) -> None:
        self._change(service, body, kind=None, end_kind="deployment", actor=actor)

    def _change(
        self, service: str, body: DeploymentCreate, *, kind: str | None, end_kind: str | None,
        actor: Principal,
    ) -> Deployment:  # fmt: skip
        owner = self._owner(service)
        actor.require_write(owner=owner, what=f"the deployments of {service}")
        parse_semver(body.version)
        return deployments.change(
            self._db, self._audit, service=service, owner=owner, body=body, kind=kind,
            end_kind=end_kind, now=self._clock.now(), actor=actor,
        )  # fmt: skip

    def deployments(self, environment: str | None = None) -> list[Deployment]:
        """What runs, or is supported, where: one row per service version and environment."""
        with self._db.reading() as session:
            rows = store.current(session, environment)
        owners = self._owners({r.service for r in rows})
        return [deployments.to_model(r, owners[r.service]) for r in rows]

    def deployment_history(
        self, *, since: datetime | None = None, until: datetime | None = None,
        service: str | None = None, environment: str | None = None,
    ) -> list[DeploymentRecord]:  # fmt: skip
        """Every deployment started in ``[since, until)``, current or since replaced or
        undeployed, oldest first (``history.py``)."""
        history.check_window(since, until)
        with self._db.reading() as session:
            rows = history.rows(
                session, since=since, until=until, service=service, environment=environment
            )
        owners = self._owners({r.service for r in rows})
        return [history.to_record(r, owners[r.service]) for r in rows]

    # -- can-i-deploy ------------------------------------------------------------------------

    def can_i_deploy(
        self,
        service: str,
        version: str,
        environment: str,
        *,
        ignore: Iterable[str] = (),
        observed_consumers: ObservedPolicy = "warn",
    ) -> CanIDeploy:
        """Yes, no or unknown, against every version deployed or supported in the environment.

        Consumers seen calling ``service`` without a consumer contract add warnings; with
        ``observed_consumers="block"`` they make the answer no (docs/contracts.md)."""
        parse_semver(version)
        with self._db.reading() as session:
            found = facts.gather(
                session, service=service, version=version, environment=environment,
                ignore=frozenset(ignore), documents=self._documents, results=self._results,
                today=self._clock.now().date(),
            )  # fmt: skip
        verdict, reasons = compat.judge(found)
        # Only the teams the reasons name are looked up: a "yes" needs no catalog read.
        named = [r for r in reasons if r.version is not None and r.service != service]
        teams = self._teams({r.service for r in named}) if named else {}
        answer = CanIDeploy(
            service=service, version=version, environment=environment, deployable=verdict,
            reasons=[
                Reason(**{**r.to_dict(), "team": teams.get(r.service) if r in named else None})
                for r in reasons
            ],
        )  # fmt: skip
        if observed_consumers == "ignore":
            return answer
        return observed_check.with_warnings(
            answer, self._observed_warnings(service, environment), observed_consumers
        )

    def observed_consumers(
        self, service: str, *, since: datetime | None = None
    ) -> ObservedConsumers:
        """Who was seen calling ``service`` (default: the last 72 hours), by consumer version,
        operation and provider version, and which of them have no consumer contract with it."""
        until = self._clock.now()
        start = since or until - OBSERVED_WINDOW
        calls = self._observed(service, since=start)
        contracted = {c.consumer for c in self.list_contracts(provider=service)}
        return ObservedConsumers(
            provider=service, since=start, until=until, calls=calls,
            without_contract=observed_check.without_contract(calls, contracted),
        )  # fmt: skip

    def _observed_warnings(self, service: str, environment: str) -> list[ObservedWarning]:
        """Callers seen in ``environment`` (or in spans that name none) without a contract."""
        calls = self._observed(service, since=self._clock.now() - OBSERVED_WINDOW, env=environment)
        if not calls:
            return []
        contracted = {c.consumer for c in self.list_contracts(provider=service)}
        strangers = observed_check.without_contract(calls, contracted)
        teams = self._teams(s for s in strangers if ":" not in s and "/" not in s)
        return observed_check.warnings(service, calls, contracted, teams)

    def _owners(self, services: Iterable[str]) -> dict[str, str | None]:
        """The owning group's ref of each service, read from the catalog in one call."""
        wanted = set(services)
        plain = {s for s in wanted if ":" not in s and "/" not in s}
        found = self._catalog.get_many(_component_key(s) for s in plain) if plain else {}
        owners: dict[str, str | None] = {}
        for name in plain:
            entity = found.get(_component_key(name))
            owners[name] = entity.owner if entity else None
        for name in wanted - plain:
            owners[name] = self._catalog.owner_of(name)
        return owners

    def _teams(self, services: Iterable[str]) -> dict[str, str | None]:
        return {s: deployments.short(owner) for s, owner in self._owners(services).items()}

    # -- deprecation and sunset --------------------------------------------------------------

    def deprecation_report(
        self, *, provider: str | None, environment: str | None
    ) -> DeprecationReport:
        """Which consumers still use a deprecated operation or an old major version of a
        provider's API, in one environment or all, soonest sunset first."""
        if provider is not None:
            self._owner(provider)
        today = self._clock.now().date()
        with self._db.reading() as session:
            found = deprecations.gather_uses(
                session, provider=provider, environment=environment,
                documents=self._documents, results=self._results,
            )  # fmt: skip
        teams = self._teams({u.provider for u in found} | {u.consumer for u in found})
        uses = [deprecations.to_model(u, teams, today) for u in found]
        uses.sort(key=lambda u: (u.sunset is None, u.sunset or today, u.provider, u.consumer,
                                 u.consumer_version, u.environment, u.operation or ""))  # fmt: skip
        summary = {
            "deprecated_operation": sum(u.kind == "deprecated_operation" for u in uses),
            "old_major_version": sum(u.kind == "old_major_version" for u in uses),
            "past_sunset": sum(u.past_sunset for u in uses),
            "consumers": len({u.consumer for u in uses}),
        }
        return DeprecationReport(
            provider=provider, environment=environment, as_of=today, uses=uses, summary=summary
        )

    # -- helpers -----------------------------------------------------------------------------

    def owner_of(self, service: str) -> str:
        """The owning group's ref of a catalogued service; NotFound if it is not catalogued."""
        return self._owner(service)

    def _owner(self, service: str) -> str:
        owner = self._catalog.owner_of(service)
        if owner is None:
            raise NotFound(f"no service {service!r} in the catalog", details={"service": service})
        return owner

    def _document(self, session: Session, digest: str) -> Any:
        return self._load_documents(session, [digest])[digest]

    def _load_documents(self, session: Session, digests: Iterable[str]) -> dict[str, Any]:
        return facts.load_documents(session, digests, self._documents)


def _api_version(row: store.ApiVersionRow) -> ApiVersion:
    return ApiVersion(
        service=row.service, version=row.version, api=row.api, digest=row.digest,
        created_at=row.created_at,
    )  # fmt: skip


def _contract(
    row: store.ContractRow, unsupported: list[dict[str, str]] | None = None
) -> ConsumerContract:
    return ConsumerContract(
        consumer=row.consumer, consumer_version=row.consumer_version, provider=row.provider,
        kind=row.kind, digest=row.digest, created_at=row.created_at,
        unsupported=unsupported or [],
    )  # fmt: skip


def _component_key(name: str) -> str:
    """The catalog key of a service named without kind or namespace (``orders``)."""
    return f"component:default/{name.lower()}"
