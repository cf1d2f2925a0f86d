"""Data of the contracts pages: API versions and changelogs, the environment matrix, can-i-deploy.

Reads only through ``ContractService`` (and the catalog for owners).  can-i-deploy answers are
computed when a page first asks for them and kept for the rest of that request (``Verdicts``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from orgloop.contracts.models import ApiVersion, CanIDeploy, Deployment
from orgloop.contracts.service import ContractService
from orgloop.kernel.errors import OrgloopError
from orgloop.web.links import link, name_of
from orgloop.web.reader import Reader

_ENV_ORDER = ("development", "dev", "test", "qa", "staging", "preprod", "production", "prod")
"""Environments in promotion order first; any other after them, alphabetically."""


class Verdicts:
    """can-i-deploy answers for one request: each (service, version, environment) asked once."""

    def __init__(self, contracts: ContractService) -> None:
        self._contracts = contracts
        self._seen: dict[tuple[str, str, str], dict[str, Any]] = {}

    def get(self, service: str, version: str, environment: str) -> dict[str, Any]:
        key = (service, version, environment)
        if key not in self._seen:
            try:
                answer = self._contracts.can_i_deploy(service, version, environment)
                self._seen[key] = verdict_view(answer)
            except OrgloopError as exc:
                self._seen[key] = _verdict(service, version, environment, None, [exc.message])
        return self._seen[key]


def verdict_view(answer: CanIDeploy) -> dict[str, Any]:
    view = _verdict(answer.service, answer.version, answer.environment, answer.deployable, [])
    view["reasons"] = [r.model_dump() for r in answer.reasons]
    return view


def _verdict(
    service: str, version: str, environment: str, deployable: bool | None, problems: list[str]
) -> dict[str, Any]:
    query = urlencode({"service": service, "version": version, "environment": environment})
    return {
        "service": service,
        "version": version,
        "environment": environment,
        "deployable": deployable,
        "answer": {True: "yes", False: "no"}.get(deployable, "unknown"),  # type: ignore[arg-type]
        "reasons": [
            {"kind": "error", "service": None, "version": None, "team": None, "detail": p}
            for p in problems
        ],
        "href": f"/contracts/can-i-deploy?{query}",
    }


def environments_of(deployments: list[Deployment]) -> list[str]:
    return environments_order({d.environment for d in deployments})


def environments_order(names: set[str]) -> list[str]:
    known = [e for e in _ENV_ORDER if e in names]
    return known + sorted(names - set(known))


def latest(versions: list[ApiVersion]) -> str | None:
    """The newest published version (the service lists them in semantic-version order)."""
    return versions[-1].version if versions else None


def service_owners(reader: Reader, deployments: list[Deployment]) -> dict[str, str | None]:
    """Every service of the catalog with its owning team, and any only deployments know."""
    owners: dict[str, str | None] = {
        name_of(s.ref): s.owner for s in reader.all("Component", type="service")
    }
    for d in deployments:
        owners.setdefault(d.service, None)
    return dict(sorted(owners.items()))


def service_names(reader: Reader, deployments: list[Deployment]) -> list[str]:
    return list(service_owners(reader, deployments))


def versions_index(reader: Reader, contracts: ContractService) -> dict[str, Any]:
    rows = []
    for service in reader.all("Component", type="service"):
        name = name_of(service.ref)
        versions = contracts.list_api_versions(name)
        rows.append({
            "name": name, "title": service.title or name, "href": f"/contracts/services/{name}",
            "owner": link(service.owner), "versions": len(versions), "latest": latest(versions),
        })  # fmt: skip
    return {"services": rows}


def matrix(reader: Reader, contracts: ContractService) -> dict[str, Any]:
    """What runs where, and whether each service's latest version could go to each environment.

    Services with neither a published version nor a deployment are only counted.
    """
    deployments = contracts.deployments()
    environments = environments_of(deployments)
    verdicts = Verdicts(contracts)
    rows, idle = [], []
    for name, owner in service_owners(reader, deployments).items():
        newest = latest(contracts.list_api_versions(name))
        mine = [d for d in deployments if d.service == name]
        if newest is None and not mine:
            idle.append(name)
            continue
        cells = []
        for env in environments:
            running = [{"version": d.version, "kind": d.kind} for d in mine if d.environment == env]
            verdict = verdicts.get(name, newest, env) if newest else None
            cells.append({"environment": env, "running": running, "verdict": verdict})
        rows.append({
            "service": name, "href": f"/contracts/services/{name}", "latest": newest,
            "team": link(owner), "cells": cells,
        })  # fmt: skip
    return {"environments": environments, "rows": rows, "idle": idle}


def can_i_deploy_page(
    reader: Reader, contracts: ContractService, query: dict[str, str]
) -> dict[str, Any]:
    deployments = contracts.deployments()
    asked = {k: query.get(k, "").strip() for k in ("service", "version", "environment")}
    verdict = None
    if all(asked.values()):
        verdict = Verdicts(contracts).get(asked["service"], asked["version"], asked["environment"])
    return {
        "asked": asked,
        "services": service_names(reader, deployments),
        "environments": environments_of(deployments),
        "verdict": verdict,
    }


def deprecations_page(
    reader: Reader, contracts: ContractService, query: dict[str, str]
) -> dict[str, Any]:
    """Who still uses deprecated operations or old major versions, soonest sunset first."""
    provider = query.get("provider") or None
    environment = query.get("environment") or None
    report = contracts.deprecation_report(provider=provider, environment=environment)
    deployments = contracts.deployments()
    return {
        "provider": provider,
        "environment": environment,
        "services": service_names(reader, deployments),
        "environments": environments_of(deployments),
        "as_of": report.as_of.isoformat(),
        "summary": report.summary,
        "uses": [u.model_dump(mode="json") for u in report.uses],
    }
