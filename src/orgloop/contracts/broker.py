"""The Pact Broker subset a real provider verifier needs, under ``/pact-broker``: it fetches the
pacts published to orgloop and publishes its results back by following the pacts' HAL links.

Pacts are orgloop's consumer contracts of kind ``pact``; a pact's ``pact-version`` is orgloop's
content digest, so one result is recorded for every consumer version that published that content.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request

from orgloop.contracts import broker_selection as selection
from orgloop.contracts.broker_selection import ForVerification, VerificationResult
from orgloop.contracts.models import ConsumerContract, PactVerificationCreate
from orgloop.contracts.service import ContractService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import NotFound
from orgloop.kernel.http import Caller

PREFIX = "/pact-broker"

Hal = dict[str, Any]


def build_router(*, contracts: ContractService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["pact-broker"])

    @router.get("")
    def index(request: Request, caller: Caller) -> Hal:
        """The entry point a verifier starts from: templated links to the provider's pacts."""
        caller.require_read()
        base = _base(request)
        return {
            "_links": {
                "self": {"href": base},
                "pb:latest-provider-pacts": _template(f"{base}/pacts/provider/{{provider}}/latest"),
                "pb:provider-pacts-for-verification": _template(
                    f"{base}/pacts/provider/{{provider}}/for-verification"
                ),
                "pb:pacticipant": _template(f"{base}/pacticipants/{{pacticipant}}"),
            }
        }

    router.add_api_route("/", index, methods=["GET"], include_in_schema=False)

    @router.get("/pacts/provider/{provider}/latest")
    def latest_provider_pacts(provider: str, request: Request, caller: Caller) -> Hal:
        """The latest pact of each consumer of the provider."""
        caller.require_read()
        chosen = selection.latest_per_consumer(_pacts(contracts, provider))
        links = [
            {
                "href": _pact_url(request, c),
                "title": f"Pact between {c.consumer} ({c.consumer_version}) and {provider}",
                "name": c.consumer,
            }
            for c in chosen
        ]
        return {"_links": {"self": {"href": str(request.url)}, "pacts": links}}

    @router.get("/pacts/provider/{provider}/for-verification")
    def for_verification_resource(provider: str, request: Request, caller: Caller) -> Hal:
        """Where to POST the consumer version selectors."""
        caller.require_read()
        return {"_links": {"self": {"href": str(request.url), "title": f"Pacts for {provider}"}}}

    @router.post("/pacts/provider/{provider}/for-verification")
    def pacts_for_verification(
        provider: str, body: ForVerification, request: Request, caller: Caller
    ) -> Hal:
        """The pacts the selectors choose (latest, deployed, released, in an environment), one
        entry per pact content."""
        caller.require_read()
        chosen = selection.select(
            _pacts(contracts, provider),
            body.consumer_version_selectors,
            deployments=contracts.deployments(),
        )
        pacts = [_for_verification_entry(request, provider, group) for group in chosen]
        return {"_embedded": {"pacts": pacts}, "_links": {"self": {"href": str(request.url)}}}

    _pact_routes(router, contracts)
    _pacticipant_routes(router, contracts)
    return router


def _pact_routes(router: APIRouter, contracts: ContractService) -> None:
    base = "/pacts/provider/{provider}/consumer/{consumer}"

    @router.get(f"{base}/version/{{consumer_version}}")
    def pact_of_version(
        provider: str, consumer: str, consumer_version: str, request: Request, caller: Caller
    ) -> Hal:
        """The pact a consumer version published, with its HAL links."""
        caller.require_read()
        found = [
            c
            for c in _pacts(contracts, provider, consumer)
            if c.consumer_version == consumer_version
        ]
        if not found:
            raise NotFound(f"no pact of {consumer} {consumer_version} on {provider}")
        return _pact(contracts, request, found[0])

    @router.get(f"{base}/latest")
    def latest_pact(provider: str, consumer: str, request: Request, caller: Caller) -> Hal:
        """The pact of the consumer's most recently published version."""
        caller.require_read()
        found = selection.latest_per_consumer(_pacts(contracts, provider, consumer))
        if not found:
            raise NotFound(f"no pact of {consumer} on {provider}")
        return _pact(contracts, request, found[0])

    @router.get(f"{base}/pact-version/{{digest}}")
    def pact_of_content(
        provider: str, consumer: str, digest: str, request: Request, caller: Caller
    ) -> Hal:
        """A pact by its content digest (the ``pact-version`` of the broker)."""
        caller.require_read()
        found = [c for c in _pacts(contracts, provider, consumer) if c.digest == digest]
        if not found:
            raise NotFound(f"no pact of {consumer} on {provider} has the content {digest}")
        return _pact(contracts, request, found[-1])

    @router.post(f"{base}/pact-version/{{digest}}/verification-results", status_code=201)
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
        recorded = contracts.record_pact_verification(
            provider,
            consumer,
            digest,
            PactVerificationCreate(
                provider_version=body.provider_application_version,
                success=body.success,
                results=results,
            ),
            actor=caller,
        )
        return {
            "providerName": provider,
            "providerApplicationVersion": body.provider_application_version,
            "success": body.success,
            "verificationDate": recorded[0].created_at.isoformat(),
            "testResults": body.test_results,
            "consumerVersions": [v.consumer_version for v in recorded],
            "_links": {"self": {"href": str(request.url)}},
        }


def _pacticipant_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/pacticipants/{pacticipant}")
    def pacticipant(pacticipant: str, request: Request, caller: Caller) -> Hal:
        """A service, with the links a verifier follows to label the provider version."""
        caller.require_read()
        contracts.owner_of(pacticipant)
        url = f"{_base(request)}/pacticipants/{quote(pacticipant, safe='')}"
        return {
            "name": pacticipant,
            "_links": {
                "self": {"href": url},
                "pb:branch-version": _template(f"{url}/branches/{{branch}}/versions/{{version}}"),
                "pb:version-tag": _template(f"{url}/versions/{{version}}/tags/{{tag}}"),
            },
        }

    @router.put("/pacticipants/{pacticipant}/branches/{branch}/versions/{version}")
    @router.put("/pacticipants/{pacticipant}/versions/{version}/tags/{branch}")
    def label_version(pacticipant: str, branch: str, version: str, caller: Caller) -> Hal:
        """Accepted and not kept: orgloop orders versions by semver and deployments, not by
        branches or tags."""
        _require_owner(contracts, caller, pacticipant)
        return {"name": branch, "version": version, "_links": {}}


def _require_owner(contracts: ContractService, caller: Principal, service: str) -> None:
    caller.require_write(owner=contracts.owner_of(service), what=f"the versions of {service}")


def _pacts(
    contracts: ContractService, provider: str, consumer: str | None = None
) -> list[ConsumerContract]:
    found = contracts.list_contracts(provider=provider, consumer=consumer)
    return [c for c in found if c.kind == "pact"]


def _pact(contracts: ContractService, request: Request, contract: ConsumerContract) -> Hal:
    content = contracts.contract_content(contract.digest)
    url = _pact_url(request, contract)
    base = _base(request)
    return {
        **content,
        "_links": {
            "self": {
                "href": str(request.url),
                "title": "Pact",
                "name": f"Pact between {contract.consumer} ({contract.consumer_version}) and {contract.provider}",
            },
            "pb:consumer": {
                "href": f"{base}/pacticipants/{quote(contract.consumer, safe='')}",
                "name": contract.consumer,
            },
            "pb:provider": {
                "href": f"{base}/pacticipants/{quote(contract.provider, safe='')}",
                "name": contract.provider,
            },
            "pb:publish-verification-results": {
                "title": "Publish verification results",
                "href": f"{url}/verification-results",
            },
        },
    }


def _for_verification_entry(request: Request, provider: str, group: selection.Chosen) -> Hal:
    first = group.contracts[0]
    versions = ", ".join(c.consumer_version for c in group.contracts)
    return {
        "shortDescription": f"{'; '.join(group.why)} of {first.consumer}",
        "verificationProperties": {
            "pending": False,
            "notices": [
                {
                    "when": "before_verification",
                    "text": f"The pact of {first.consumer} ({versions}) on {provider} is being verified "
                    f"because it is the {'; '.join(group.why)}.",
                }
            ],
        },
        "_links": {
            "self": {
                "href": _pact_url(request, first),
                "name": f"Pact between {first.consumer} ({versions}) and {provider}",
            }
        },
    }


def _pact_url(request: Request, contract: ConsumerContract) -> str:
    provider, consumer = quote(contract.provider, safe=""), quote(contract.consumer, safe="")
    return f"{_base(request)}/pacts/provider/{provider}/consumer/{consumer}/pact-version/{contract.digest}"


def _base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}{PREFIX}"


def _template(href: str) -> dict[str, Any]:
    return {"href": href, "templated": True}
