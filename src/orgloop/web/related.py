"""What a team's or a service's page links to beyond the catalog: contracts, flags, experiments
and deploys, so a person can move from who owns something to what it ships and tries.

Flags and experiments belong to teams, not services: a service's page shows its owning team's,
those tagged with the service's name first (a flag tag such as ``cart`` names where it is used).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from orgloop.contracts.service import ContractService
from orgloop.experiments.service import ExperimentService
from orgloop.flags.models import Flag
from orgloop.flags.service import FlagService
from orgloop.web.contractviews import environments_order, latest
from orgloop.web.experimentviews import all_experiments
from orgloop.web.flagviews import all_flags
from orgloop.web.links import name_of

RECENT_DEPLOYS = timedelta(days=30)
"""How far back a team's page lists deploys."""

MAX_DEPLOYS = 20


def for_team(
    name: str,
    services: list[str],
    *,
    contracts: ContractService,
    flags: FlagService,
    experiments: ExperimentService,
    now: datetime,
) -> dict[str, Any]:
    """The flags, experiments and deploys of a team whose services are ``services`` (names)."""
    mine = set(services)
    history = [
        d for d in contracts.deployment_history(since=now - RECENT_DEPLOYS) if d.service in mine
    ]
    return {
        "flags": [_flag(f) for f in all_flags(flags, owner=name)],
        "experiments": _experiments(experiments, name),
        "deploys": [
            {"service": d.service, "href": f"/contracts/services/{d.service}",
             "version": d.version, "environment": d.environment,
             "at": f"{d.started_at:%Y-%m-%d %H:%M}", "by": d.recorded_by,
             "current": d.current}
            for d in sorted(history, key=lambda d: d.started_at, reverse=True)[:MAX_DEPLOYS]
        ],
        "deploys_since": (now - RECENT_DEPLOYS).date().isoformat(),
        "links": {
            "flags": f"/flags?{urlencode({'team': name})}",
            "experiments": f"/experiments?{urlencode({'team': name})}",
            "delivery": f"/insights/dora?{urlencode({'team': name})}",
            "environments": "/contracts/environments",
        },
    }  # fmt: skip


def for_service(
    name: str,
    owner: str | None,
    *,
    contracts: ContractService,
    flags: FlagService,
    experiments: ExperimentService,
) -> dict[str, Any]:
    """A service's API versions and where it runs, and its owning team's flags and experiments."""
    versions = contracts.list_api_versions(name)
    running = [d for d in contracts.deployments() if d.service == name]
    order = environments_order({d.environment for d in running})
    team = name_of(owner) if owner else None
    team_flags = all_flags(flags, owner=team) if team else []
    team_flags.sort(key=lambda f: (name not in f.tags, f.key))
    return {
        "contracts": {
            "href": f"/contracts/services/{name}",
            "versions": len(versions),
            "latest": latest(versions),
            "running": [
                {"environment": d.environment, "version": d.version, "kind": d.kind}
                for d in sorted(running, key=lambda d: order.index(d.environment))
            ],
        },
        "team": team,
        "flags": [_flag(f) | {"tagged": name in f.tags} for f in team_flags],
        "experiments": _experiments(experiments, team) if team else [],
    }


def _flag(flag: Flag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "href": f"/flags/{flag.key}",
        "on": sorted(env for env, config in flag.environments.items() if config.enabled),
    }


def _experiments(experiments: ExperimentService, team: str) -> list[dict[str, Any]]:
    return [
        {"key": e.key, "href": f"/experiments/{e.key}", "status": e.status,
         "decision": e.decision, "flag": {"key": e.flag_key, "href": f"/flags/{e.flag_key}"}}
        for e in all_experiments(experiments, team=team)
    ]  # fmt: skip
