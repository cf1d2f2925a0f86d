"""``pb:matrix`` and ``pb:can-i-deploy-pacticipant-version-to-environment``: the Pact Broker's
can-i-deploy, answered by orgloop's own (``ContractService.can_i_deploy``).

The candidate is one pacticipant version, named or the latest (of a tag or a branch). The
target is an environment: ``environment`` (``--to-environment``), or ``tag`` (``--to TAG``),
read as the environment of that name, the convention of pipelines that tag what they deploy
(``--to prod``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from orgloop.contracts.broker import matrix
from orgloop.contracts.broker.hal import Hal, base
from orgloop.contracts.broker.hal_records import q
from orgloop.contracts.models import ConsumerContract
from orgloop.contracts.service import ContractService
from orgloop.kernel.errors import InvalidInput, NotFound
from orgloop.kernel.http import Caller


def add_routes(router: APIRouter, contracts: ContractService) -> None:
    @router.get("/matrix")
    def matrix_resource(request: Request, caller: Caller) -> Hal:
        """Can the selected pacticipant version be deployed to the environment? (The query
        string of ``pact-broker can-i-deploy``.)"""
        caller.require_read()
        query = matrix.parse(list(request.query_params.multi_items()))
        if len(query.selectors) > 1:
            raise InvalidInput.at(
                "q[][pacticipant]", "orgloop answers for one pacticipant version at a time"
            )
        version = _candidate(contracts, query.selectors[0])
        environment = _target(contracts, query)
        return _answer(
            contracts, request, query.selectors[0].pacticipant, version, environment, query.ignore
        )

    @router.get("/can-i-deploy")
    def can_i_deploy(
        pacticipant: str, version: str, environment: str, request: Request, caller: Caller
    ) -> Hal:
        """The same answer for one pacticipant version and environment."""
        caller.require_read()
        contracts.broker.environment(environment)
        return _answer(contracts, request, pacticipant, version, environment, [])


def _candidate(contracts: ContractService, selector: matrix.Selector) -> str:
    if selector.version:
        return selector.version
    if selector.latest or selector.tag or selector.branch:
        found = contracts.broker.latest_version(
            selector.pacticipant, tag=selector.tag, branch=selector.branch
        )
        return found.number
    raise InvalidInput.at(
        "q[][version]", f"name the version of {selector.pacticipant} (or --latest)"
    )


def _target(contracts: ContractService, query: matrix.Query) -> str:
    name = query.environment or query.to_tag
    if name is None:
        raise InvalidInput.at(
            "environment",
            "name the environment to deploy to (--to-environment, or --to with its name)",
        )
    key = "environment" if query.environment else "tag"
    try:
        return contracts.broker.environment(name).name
    except NotFound:
        raise InvalidInput.at(
            key,
            f"no environment {name!r}: orgloop deploys to environments (--to {name} is read as "
            "the environment of that name); create it (pact-broker create-environment) or "
            "record a deployment there first",
        ) from None


def _answer(
    contracts: ContractService, request: Request, service: str, version: str, environment: str,
    ignore: list[str],
) -> Hal:  # fmt: skip
    verdict = contracts.can_i_deploy(service, version, environment, ignore=ignore)
    return matrix.answer(verdict, _rows(contracts, request, service, version, environment))


def _rows(
    contracts: ContractService, request: Request, service: str, version: str, environment: str
) -> list[matrix.Row]:
    """The pacts between the candidate and the versions running in the environment."""
    running: dict[str, list[str]] = {}
    for item in contracts.deployments(environment):
        running.setdefault(item.service, []).append(item.version)
    rows: list[matrix.Row] = []
    mine = [c for c in contracts.list_contracts(consumer=service) if c.kind == "pact"]
    for pact in (c for c in mine if c.consumer_version == version):
        versions: list[str | None] = list(running.get(pact.provider, [])) or [None]
        for provider_version in versions:
            rows.append(_row(contracts, request, pact, provider_version))
    theirs = [c for c in contracts.list_contracts(provider=service) if c.kind == "pact"]
    for pact in theirs:
        if pact.consumer_version in running.get(pact.consumer, []):
            rows.append(_row(contracts, request, pact, version))
    return rows


def _row(
    contracts: ContractService, request: Request, pact: ConsumerContract,
    provider_version: str | None,
) -> matrix.Row:  # fmt: skip
    url = (
        f"{base(request)}/pacts/provider/{q(pact.provider)}/consumer/{q(pact.consumer)}"
        f"/pact-version/{pact.digest}"
    )
    verified = None
    if provider_version is not None:
        verified = contracts.broker.verification(
            pact.provider, provider_version, pact.consumer, pact.consumer_version
        )
    return matrix.Row(
        consumer=pact.consumer, consumer_version=pact.consumer_version, provider=pact.provider,
        provider_version=provider_version, success=verified.success if verified else None,
        verified_at=verified.at if verified else None, url=url,
    )  # fmt: skip
