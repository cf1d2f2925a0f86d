"""The contracts slice's REST resources (thin: parse, call the service, return its models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

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
    Verification,
    VerificationCreate,
)
from orgloop.contracts.observed import ObservedConsumers, ObservedPolicy
from orgloop.contracts.service import ContractService
from orgloop.kernel.http import Caller, Offset
from orgloop.kernel.models import Page


def build_router(*, contracts: ContractService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["contracts"])
    _api_version_routes(router, contracts)
    _contract_routes(router, contracts)
    _deprecation_routes(router, contracts)
    _deployment_routes(router, contracts)
    _can_i_deploy_routes(router, contracts)
    return router


def _api_version_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.post("/services/{service}/api-versions", status_code=201)
    def publish_api_version(service: str, body: ApiVersionCreate, caller: Caller) -> ApiVersion:
        """Record the API document of a service version; breaking changes need a major bump."""
        return contracts.publish_api_version(service, body, actor=caller)

    @router.get("/services/{service}/api-versions")
    def list_api_versions(service: str, caller: Caller) -> list[ApiVersion]:
        caller.require_read()
        return contracts.list_api_versions(service)

    @router.get("/services/{service}/api-versions/{base}/changelog/{revision}")
    def changelog(service: str, base: str, revision: str, caller: Caller) -> Changelog:
        """The diff findings between two recorded versions."""
        caller.require_read()
        return contracts.changelog(service, base, revision)


def _contract_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.post("/services/{consumer}/contracts", status_code=201)
    def publish_contract(consumer: str, body: ContractCreate, caller: Caller) -> ConsumerContract:
        """Record a consumer version's Pact file (v2, v3, v4) or light contract on a provider."""
        return contracts.publish_contract(consumer, body, actor=caller)

    @router.get("/contracts")
    def list_contracts(
        caller: Caller, consumer: str | None = None, provider: str | None = None
    ) -> list[ConsumerContract]:
        caller.require_read()
        return contracts.list_contracts(consumer=consumer, provider=provider)

    @router.post("/services/{provider}/verifications", status_code=201)
    def record_verification(
        provider: str, body: VerificationCreate, caller: Caller
    ) -> Verification:
        """A Pact provider verifier's result."""
        return contracts.record_verification(provider, body, actor=caller)


def _deprecation_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/deprecations")
    def deprecations(
        caller: Caller, provider: str | None = None, environment: str | None = None
    ) -> DeprecationReport:
        """Consumers still using deprecated operations or old major versions, with sunsets."""
        caller.require_read()
        return contracts.deprecation_report(provider=provider, environment=environment)


def _deployment_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.post("/services/{service}/deployments", status_code=201)
    def record_deployment(service: str, body: DeploymentCreate, caller: Caller) -> Deployment:
        """Replaces the version of the service deployed in the environment."""
        return contracts.record_deployment(service, body, actor=caller)

    @router.post("/services/{service}/deployments/end", status_code=204)
    def undeploy(service: str, body: DeploymentCreate, caller: Caller) -> None:
        contracts.undeploy(service, body, actor=caller)

    @router.post("/services/{service}/releases", status_code=201)
    def record_release(service: str, body: DeploymentCreate, caller: Caller) -> Deployment:
        """A supported release: considered until its support ends."""
        return contracts.record_release(service, body, actor=caller)

    @router.post("/services/{service}/releases/end", status_code=204)
    def end_support(service: str, body: DeploymentCreate, caller: Caller) -> None:
        contracts.end_support(service, body, actor=caller)

    @router.get("/deployments")
    def all_deployments(caller: Caller) -> list[Deployment]:
        """What runs where, in every environment."""
        caller.require_read()
        return contracts.deployments()

    @router.get("/deployments/history")
    def deployment_history(
        caller: Caller,
        since: datetime | None = None,
        until: datetime | None = None,
        service: str | None = None,
        environment: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> Page[DeploymentRecord]:
        """Every deployment recorded, current or since replaced or undeployed, oldest first;
        ``since`` and ``until`` bound when it started (a time without zone is UTC)."""
        caller.require_read()
        found = contracts.deployment_history(
            since=since, until=until, service=service, environment=environment
        )
        return Page[DeploymentRecord].of(found, limit=limit, offset=offset)

    @router.get("/environments/{environment}/deployments")
    def environment_deployments(environment: str, caller: Caller) -> list[Deployment]:
        caller.require_read()
        return contracts.deployments(environment)


def _can_i_deploy_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/can-i-deploy")
    def can_i_deploy(
        caller: Caller,
        service: str,
        version: str,
        environment: str,
        ignore: Annotated[list[str] | None, Query(description="Services to leave out.")] = None,
        observed_consumers: Annotated[
            ObservedPolicy,
            Query(
                description="Consumers seen in traffic without a contract: warn, block (no) "
                "or ignore."
            ),
        ] = "warn",
    ) -> CanIDeploy:
        """Yes (true), no (false) or unknown (null), with a reason for each problem, and warnings
        for consumers seen in traffic without a consumer contract."""
        caller.require_read()
        return contracts.can_i_deploy(
            service, version, environment, ignore=ignore or (),
            observed_consumers=observed_consumers,
        )  # fmt: skip

    @router.get("/services/{name}/consumers/observed")
    def observed_consumers(
        name: str,
        caller: Caller,
        since: Annotated[
            datetime | None, Query(description="ISO 8601 start; default: the last 72 hours.")
        ] = None,
    ) -> ObservedConsumers:
        """Who was seen calling the service in traffic (spans), by consumer version, operation
        and provider version, and which consumers have no consumer contract with it."""
        caller.require_read()
        return contracts.observed_consumers(name, since=since)
