"""What the home page says needs attention in contracts: deploys can-i-deploy refuses today, the
consumers a published version would break, and APIs past or near their sunset.

A refusal is can-i-deploy's answer for each service's newest published version against each
environment (the question the environment matrix asks); the consumers it names as broken are
the second list.  ``in_scope`` keeps what concerns the chosen team: its services as provider,
and, for broken consumers and sunsets, as consumer too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from orgloop.contracts.service import ContractService
from orgloop.web.contractviews import Verdicts, environments_of, latest, service_owners
from orgloop.web.links import link
from orgloop.web.reader import Reader

NEAR_SUNSET_DAYS = 30
"""An operation or major version whose sunset is this close (or past) is listed."""

CONSUMER_KINDS = frozenset({"breaks_consumer", "consumer_verification_failed"})
"""can-i-deploy reasons that name a consumer the candidate version breaks."""

InScope = Callable[[str], bool]


def refusals_and_broken(
    reader: Reader, contracts: ContractService, in_scope: InScope
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    deployments = contracts.deployments()
    environments = environments_of(deployments)
    verdicts = Verdicts(contracts)
    refusals: list[dict[str, Any]] = []
    broken: list[dict[str, Any]] = []
    for name, owner in service_owners(reader, deployments).items():
        newest = latest(contracts.list_api_versions(name))
        if newest is None:
            continue
        for env in environments:
            verdict = verdicts.get(name, newest, env)
            if verdict["deployable"] is not False:
                continue
            if in_scope(name):
                refusals.append(_refusal(verdict, owner))
            for reason in verdict["reasons"]:
                consumer = str(reason.get("service") or "")
                if reason["kind"] in CONSUMER_KINDS and (in_scope(name) or in_scope(consumer)):
                    broken.append(_broken(verdict, reason))
    return refusals, broken


def _refusal(verdict: dict[str, Any], owner: str | None) -> dict[str, Any]:
    return {
        "service": verdict["service"],
        "version": verdict["version"],
        "environment": verdict["environment"],
        "team": link(owner),
        "reasons": [{"kind": r["kind"], "detail": r["detail"]} for r in verdict["reasons"]],
        "href": verdict["href"],
        "contracts_href": f"/contracts/services/{verdict['service']}",
    }


def _broken(verdict: dict[str, Any], reason: dict[str, Any]) -> dict[str, Any]:
    consumer = str(reason["service"])
    return {
        "provider": verdict["service"],
        "provider_version": verdict["version"],
        "provider_href": f"/contracts/services/{verdict['service']}",
        "consumer": consumer,
        "consumer_version": reason.get("version"),
        "consumer_team": reason.get("team"),
        "consumer_href": f"/contracts/services/{consumer}",
        "environment": verdict["environment"],
        "detail": reason["detail"],
        "href": verdict["href"],
    }


def sunsets(contracts: ContractService, in_scope: InScope) -> list[dict[str, Any]]:
    """Uses of deprecated operations or old major versions whose sunset is past or near."""
    report = contracts.deprecation_report(provider=None, environment=None)
    return [
        {
            "provider": u.provider, "provider_version": u.provider_version,
            "consumer": u.consumer, "consumer_version": u.consumer_version,
            "environment": u.environment, "kind": u.kind, "operation": u.operation,
            "sunset": u.sunset.isoformat() if u.sunset else None, "days_left": u.days_left,
            "past_sunset": u.past_sunset, "detail": u.detail,
            "href": f"/contracts/deprecations?{urlencode({'provider': u.provider})}",
            "consumer_href": f"/contracts/services/{u.consumer}",
        }
        for u in report.uses
        if u.days_left is not None and u.days_left <= NEAR_SUNSET_DAYS
        and (in_scope(u.provider) or in_scope(u.consumer))
    ]  # fmt: skip
