"""The Pact Broker API under ``/pact-broker``: what the official clients call. A provider
verifier fetches the pacts published to orgloop and publishes its results back by following
the pacts' HAL links (here); ``pact-broker publish`` (``publish``), ``can-i-deploy``
(``gate``), environments, pacticipants, versions and deployments (``records``) are added by
their modules.

Pacts are orgloop's consumer contracts of kind ``pact``; a pact's ``pact-version`` is orgloop's
content digest, so one result is recorded for every consumer version that published that content.
One small route function per resource; the HAL documents are built in ``hal``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from orgloop.contracts.broker import gate, hal, publish, records, selection
from orgloop.contracts.broker.hal import PREFIX, Hal
from orgloop.contracts.broker.models import ForVerification, VerificationResult
from orgloop.contracts.models import ConsumerContract, PactVerificationCreate
from orgloop.contracts.service import ContractService
from orgloop.kernel.errors import NotFound
from orgloop.kernel.http import Caller

_PACT = "/pacts/provider/{provider}/consumer/{consumer}"


def build_router(*, contracts: ContractService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["pact-broker"])
    _index_routes(router)
    _provider_pacts_routes(router, contracts)
    _for_verification_routes(router, contracts)
    _pact_routes(router, contracts)
    _verification_result_routes(router, contracts)
    publish.add_routes(router, contracts)
    gate.add_routes(router, contracts)
    records.add_routes(router, contracts)
    return router


def _index_routes(router: APIRouter) -> None:
    @router.get("")
    def index(request: Request, caller: Caller) -> Hal:
        """The entry point a verifier starts from: templated links to the provider's pacts."""
        caller.require_read()
        return hal.index(request)

    router.add_api_route("/", index, methods=["GET"], include_in_schema=False)


def _provider_pacts_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/pacts/provider/{provider}/latest")
    def latest_provider_pacts(provider: str, request: Request, caller: Caller) -> Hal:
        """The latest pact of each consumer of the provider."""
        caller.require_read()
        chosen = selection.latest_per_consumer(_pacts(contracts, provider))
        return hal.provider_pacts(request, provider, chosen)


def _for_verification_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/pacts/provider/{provider}/for-verification")
    def for_verification_resource(provider: str, request: Request, caller: Caller) -> Hal:
        """Where to POST the consumer version selectors."""
        caller.require_read()
        return {"_links": {"self": {"href": str(request.url), "title": f"Pacts for {provider}"}}}

    @router.post("/pacts/provider/{provider}/for-verification")
    def pacts_for_verification(
        provider: str, body: ForVerification, request: Request, caller: Caller
    ) -> Hal:
        """The pacts the selectors choose (latest, deployed, released, in an environment, of a
        branch, with a tag), one entry per pact content."""
        caller.require_read()
        pacts = _pacts(contracts, provider)
        labels, main_branches = contracts.broker.lines({p.consumer for p in pacts})
        lines = selection.Lines(labels, main_branches, body.provider_version_branch)
        chosen = selection.select(
            pacts, body.consumer_version_selectors, deployments=contracts.deployments(), lines=lines
        )
        return hal.for_verification(request, provider, chosen)


def _pact_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get(f"{_PACT}/version/{{consumer_version}}")
    def pact_of_version(
        provider: str, consumer: str, consumer_version: str, request: Request, caller: Caller
    ) -> Hal:
        """The pact a consumer version published, with its HAL links."""
        caller.require_read()
        pacts = _pacts(contracts, provider, consumer)
        found = [c for c in pacts if c.consumer_version == consumer_version]
        if not found:
            raise NotFound(f"no pact of {consumer} {consumer_version} on {provider}")
        return _pact(contracts, request, found[0])

    @router.get(f"{_PACT}/latest")
    def latest_pact(provider: str, consumer: str, request: Request, caller: Caller) -> Hal:
        """The pact of the consumer's most recently published version."""
        caller.require_read()
        found = selection.latest_per_consumer(_pacts(contracts, provider, consumer))
        if not found:
            raise NotFound(f"no pact of {consumer} on {provider}")
        return _pact(contracts, request, found[0])

    @router.get(f"{_PACT}/pact-version/{{digest}}")
    def pact_of_content(
        provider: str, consumer: str, digest: str, request: Request, caller: Caller
    ) -> Hal:
        """A pact by its content digest (the ``pact-version`` of the broker)."""
        caller.require_read()
        found = [c for c in _pacts(contracts, provider, consumer) if c.digest == digest]
        if not found:
            raise NotFound(f"no pact of {consumer} on {provider} has the content {digest}")
        return _pact(contracts, request, found[-1])


def _verification_result_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.post(f"{_PACT}/pact-version/{{digest}}/verification-results", status_code=201)
    def publish_verification_results(
        provider: str,
        consumer: str,
        digest: str,
        body: VerificationResult,
        request: Request,
        caller: Caller,
    ) -> Hal:
        """Record a verifier's result for every consumer version that published this pact;
        needs a member token of the provider's team (or an admin token)."""
        results = {
            "testResults": body.test_results,
            "verifiedBy": body.verified_by,
            "buildUrl": body.build_url,
        }
        verification = PactVerificationCreate(
            provider_version=body.provider_application_version,
            success=body.success,
            results=results,
        )
        recorded = contracts.record_pact_verification(
            provider, consumer, digest, verification, actor=caller
        )
        return hal.verification_recorded(request, provider, body, recorded)


def _pacts(
    contracts: ContractService, provider: str, consumer: str | None = None
) -> list[ConsumerContract]:
    found = contracts.list_contracts(provider=provider, consumer=consumer)
    return [c for c in found if c.kind == "pact"]


def _pact(contracts: ContractService, request: Request, contract: ConsumerContract) -> Hal:
    return hal.pact(request, contract, contracts.contract_content(contract.digest))
