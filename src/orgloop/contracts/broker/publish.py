"""``pb:publish-contracts``: what ``pact-broker publish`` POSTs, one request per consumer
version, with its branch, tags and pacts (base64). The version and its labels are recorded,
then each pact as an orgloop consumer contract of kind ``pact``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Request

from orgloop.contracts.broker import hal_records as hr
from orgloop.contracts.broker.hal import Hal, base
from orgloop.contracts.broker.models import PublishContracts, PublishedContract
from orgloop.contracts.models import ConsumerContract, ContractCreate
from orgloop.contracts.service import ContractService
from orgloop.kernel.errors import InvalidInput
from orgloop.kernel.http import Caller


def add_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.post("/contracts/publish", status_code=200)
    def publish_contracts(body: PublishContracts, request: Request, caller: Caller) -> Hal:
        """Record the consumer version (branch, tags, build URL) and its pacts; needs a member
        token of the consumer's team (or an admin token)."""
        consumer, number = body.pacticipant_name, body.pacticipant_version_number
        contents = [_content(i, c, consumer) for i, c in enumerate(body.contracts)]
        version = contracts.broker.record_version(
            consumer, number, branch=body.branch, tags=tuple(body.tags),
            build_url=body.build_url, actor=caller,
        )  # fmt: skip
        published = [
            contracts.publish_contract(
                consumer,
                ContractCreate(
                    consumer_version=number, provider=c.provider_name, kind="pact", content=content
                ),
                actor=caller,
            )
            for c, content in zip(body.contracts, contents, strict=True)
        ]
        return _answer(request, consumer, number, version.tags, published)


def _content(index: int, contract: PublishedContract, consumer: str) -> Any:
    where = f"contracts[{index}]"
    if contract.specification != "pact":
        raise InvalidInput.at(
            f"{where}.specification", f"orgloop's broker takes pacts, not {contract.specification}"
        )
    if contract.consumer_name != consumer:
        raise InvalidInput.at(
            f"{where}.consumerName",
            f"the pact's consumer {contract.consumer_name!r} is not the pacticipant {consumer!r}",
        )
    try:
        return json.loads(base64.b64decode(contract.content, validate=True))
    except (binascii.Error, ValueError) as err:
        raise InvalidInput.at(f"{where}.content", f"not base64-encoded JSON: {err}") from None


def _answer(
    request: Request, consumer: str, number: str, tags: list[str],
    published: list[ConsumerContract],
) -> Hal:  # fmt: skip
    version_url = hr.version_url(request, consumer, number)
    pacticipant = {"href": hr.pacticipant_url(request, consumer), "name": consumer,
                   "title": "Pacticipant"}  # fmt: skip
    version = {"href": version_url, "name": number, "title": "Pacticipant version"}
    pacts = [
        {
            "href": f"{base(request)}/pacts/provider/{hr.q(c.provider)}/consumer/{hr.q(consumer)}"
            f"/pact-version/{c.digest}",
            "name": f"Pact between {consumer} ({number}) and {c.provider}",
            "title": "Pact",
        }
        for c in published
    ]
    notices = [
        {"type": "success", "text": f"Pact between {consumer} ({number}) and {c.provider} "
         f"published to orgloop (content {c.digest[:12]})"}
        for c in published
    ]  # fmt: skip
    return {
        "notices": notices,
        "logs": [],
        "_embedded": {
            "pacticipant": {"name": consumer, "_links": {"self": {"href": pacticipant["href"]}}},
            "version": {"number": number, "_links": {"self": version}},
        },
        "_links": {
            "pb:pacticipant": pacticipant,
            "pb:pacticipant-version": version,
            "pb:pacticipant-version-tags": [
                {"href": f"{version_url}/tags/{hr.q(t)}", "name": t, "title": "Tag"} for t in tags
            ],
            "pb:contracts": pacts,
        },
    }
