"""The HAL documents the Pact Broker API answers with: the links a verifier follows, built from
the request's own base URL so that they work behind any host name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Request

from orgloop.contracts.broker.models import VerificationResult
from orgloop.contracts.broker.selection import Chosen
from orgloop.contracts.models import ConsumerContract, Verification

PREFIX = "/pact-broker"

Hal = dict[str, Any]


def index(request: Request) -> Hal:
    """The entry point every client starts from: the relations of the Pact Broker's index."""
    root = base(request)
    pacticipant = f"{root}/pacticipants/{{pacticipant}}"
    version = f"{pacticipant}/versions/{{version}}"
    links: Hal = {
        "self": {"href": root},
        "pb:publish-contracts": {"href": f"{root}/contracts/publish", "title": "Publish contracts"},
        "pb:latest-provider-pacts": _template(f"{root}/pacts/provider/{{provider}}/latest"),
        "pb:provider-pacts-for-verification": _template(
            f"{root}/pacts/provider/{{provider}}/for-verification"
        ),
        "pb:pacticipants": {"href": f"{root}/pacticipants", "title": "Pacticipants"},
        "pb:pacticipant": _template(pacticipant),
        "pb:pacticipant-version": _template(version),
        "pb:pacticipant-version-tag": _template(f"{version}/tags/{{tag}}"),
        "pb:pacticipant-branch-version": _template(
            f"{pacticipant}/branches/{{branch}}/versions/{{version}}"
        ),
        "pb:latest-version": _template(f"{pacticipant}/latest-version"),
        "pb:latest-tagged-version": _template(f"{pacticipant}/latest-version/{{tag}}"),
        "pb:environments": {"href": f"{root}/environments", "title": "Environments"},
        "pb:environment": _template(f"{root}/environments/{{uuid}}"),
        "pb:matrix": {"href": f"{root}/matrix", "title": "The matrix of verified pacts"},
        "pb:can-i-deploy-pacticipant-version-to-environment": _template(
            f"{root}/can-i-deploy?pacticipant={{pacticipant}}&version={{version}}"
            "&environment={environment}"
        ),
    }
    return {"_links": links}


def provider_pacts(request: Request, provider: str, chosen: Sequence[ConsumerContract]) -> Hal:
    links = [
        {
            "href": _pact_url(request, c),
            "title": f"Pact between {c.consumer} ({c.consumer_version}) and {provider}",
            "name": c.consumer,
        }
        for c in chosen
    ]
    return {"_links": {"self": {"href": str(request.url)}, "pacts": links}}


def for_verification(request: Request, provider: str, chosen: Sequence[Chosen]) -> Hal:
    pacts = [_for_verification_entry(request, provider, group) for group in chosen]
    return {"_embedded": {"pacts": pacts}, "_links": {"self": {"href": str(request.url)}}}


def pact(request: Request, contract: ConsumerContract, content: Any) -> Hal:
    """A pact's content with the links to its pacticipants and to publish results."""
    url = _pact_url(request, contract)
    root = base(request)
    return {
        **content,
        "_links": {
            "self": {
                "href": str(request.url),
                "title": "Pact",
                "name": f"Pact between {contract.consumer} ({contract.consumer_version}) and {contract.provider}",
            },
            "pb:consumer": {
                "href": f"{root}/pacticipants/{quote(contract.consumer, safe='')}",
                "name": contract.consumer,
            },
            "pb:provider": {
                "href": f"{root}/pacticipants/{quote(contract.provider, safe='')}",
                "name": contract.provider,
            },
            "pb:publish-verification-results": {
                "title": "Publish verification results",
                "href": f"{url}/verification-results",
            },
        },
    }


def verification_recorded(
    request: Request, provider: str, body: VerificationResult, recorded: Sequence[Verification]
) -> Hal:
    return {
        "providerName": provider,
        "providerApplicationVersion": body.provider_application_version,
        "success": body.success,
        "verificationDate": recorded[0].created_at.isoformat(),
        "testResults": body.test_results,
        "consumerVersions": [v.consumer_version for v in recorded],
        "_links": {"self": {"href": str(request.url)}},
    }


def _for_verification_entry(request: Request, provider: str, group: Chosen) -> Hal:
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
    return f"{base(request)}/pacts/provider/{provider}/consumer/{consumer}/pact-version/{contract.digest}"


def base(request: Request) -> str:
    """The broker's root URL, as the client reached it."""
    return f"{str(request.base_url).rstrip('/')}{PREFIX}"


def _template(href: str) -> dict[str, Any]:
    return {"href": href, "templated": True}
