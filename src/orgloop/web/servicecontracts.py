"""Data of one service's contracts page: its API versions, what changed between consecutive
versions (breaking changes marked), who consumes it under which contract, and where it runs."""

from __future__ import annotations

import itertools
from typing import Any

from orgloop.contracts.models import ApiVersion, ConsumerContract, Deployment
from orgloop.contracts.service import ContractService
from orgloop.web.contractviews import Verdicts, latest
from orgloop.web.links import href, link
from orgloop.web.reader import Reader, summary_view

BREAKING = "error"
"""The diff level of a breaking change."""


def service_contracts(reader: Reader, contracts: ContractService, name: str) -> dict[str, Any]:
    entity = reader.detail("component", name, noun="service", type="service")
    versions = contracts.list_api_versions(name)
    deployments = contracts.deployments()
    owner = reader.summaries([entity.owner] if entity.owner else []).get(entity.owner or "")
    return {
        "service": {**summary_view(entity), "href": href(entity.ref)},
        "owner": link(entity.owner, owner),
        "versions": [_version(v) for v in reversed(versions)],
        "changelog": _changelog(contracts, name, versions),
        "consumers": _consumers(contracts, name, latest(versions), deployments),
        "needs": [_contract(c, c.provider) for c in contracts.list_contracts(consumer=name)],
        "running": [
            {
                "environment": d.environment,
                "version": d.version,
                "kind": d.kind,
                "since": d.started_at.isoformat(),
            }
            for d in deployments
            if d.service == name
        ],
    }


def _version(version: ApiVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "api": version.api,
        "published": version.created_at.date().isoformat(),
    }


def _changelog(
    contracts: ContractService, name: str, versions: list[ApiVersion]
) -> list[dict[str, Any]]:
    """Each consecutive pair, newest first, breaking changes listed first within a step."""
    steps = []
    for older, newer in itertools.pairwise(versions):
        log = contracts.changelog(name, older.version, newer.version)
        steps.append({
            "from": older.version, "to": newer.version,
            "breaking": log.summary.get(BREAKING, 0),
            "summary": log.summary,
            "changes": [{**c.model_dump(), "breaking": c.level == BREAKING} for c in log.changes],
        })  # fmt: skip
    return list(reversed(steps))


def _contract(contract: ConsumerContract, other: str) -> dict[str, Any]:
    return {
        "service": other,
        "href": f"/contracts/services/{other}",
        "consumer_version": contract.consumer_version,
        "kind": contract.kind,
        "published": contract.created_at.date().isoformat(),
    }


def _consumers(
    contracts: ContractService, name: str, newest: str | None, deployments: list[Deployment]
) -> list[dict[str, Any]]:
    """Each consumer contract, and whether this service's latest version keeps it where the
    consumer version runs (from can-i-deploy: a failed verification or a broken contract)."""
    verdicts = Verdicts(contracts)
    rows = []
    for contract in contracts.list_contracts(provider=name):
        envs = sorted(
            d.environment
            for d in deployments
            if d.service == contract.consumer and d.version == contract.consumer_version
        )
        checks = []
        for env in envs if newest else []:
            verdict = verdicts.get(name, newest or "", env)
            problems = [
                r["detail"] for r in verdict["reasons"] if r.get("service") == contract.consumer
            ]
            checks.append({"environment": env, "ok": not problems, "problems": problems})
        rows.append({**_contract(contract, contract.consumer), "status": _status(newest, checks),
                     "checks": checks})  # fmt: skip
    return rows


def _status(newest: str | None, checks: list[dict[str, Any]]) -> str:
    if newest is None:
        return "no API version published"
    if not checks:
        return "consumer version not deployed"
    return "kept" if all(c["ok"] for c in checks) else "broken"
