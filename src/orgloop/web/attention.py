"""The home page: what needs attention, for the signed-in team or the whole organisation.

Five lists, each item linking to the page where a person acts on it: deploys can-i-deploy refuses
today and why; experiments ready to decide (alerts first); flags killed or stale; APIs past or near
their sunset; consumers a published version breaks.  ``?team=<name>`` picks a team, ``?team=all``
the organisation; without it, the caller's own team when the token has one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orgloop.contracts.service import ContractService
from orgloop.experiments.service import ExperimentService
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.web import attentioncontracts, attentionexperiments
from orgloop.web.experimentviews import team_options
from orgloop.web.flagviews import all_flags
from orgloop.web.links import name_of
from orgloop.web.reader import Reader

ALL = "all"


def attention(
    reader: Reader,
    *,
    contracts: ContractService,
    flags: FlagService,
    experiments: ExperimentService,
    principal: Principal,
    query: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    team = scope(reader, principal, query)
    services = _services_of(reader, team)

    def in_scope(service: str) -> bool:
        return services is None or service in services

    refusals, broken = attentioncontracts.refusals_and_broken(reader, contracts, in_scope)
    return {
        "scope": {
            "team": team,
            "title": _title(reader, team),
            "mine": name_of(principal.team) if principal.team else None,
            "teams": team_options(reader),
        },
        "refusals": refusals,
        "experiments": attentionexperiments.ready_to_decide(
            experiments, team, flags={f.key for f in all_flags(flags)}
        ),
        "flags": attentionexperiments.flags_to_look_at(
            flags, experiments, team, principal=principal, now=now
        ),
        "sunsets": attentioncontracts.sunsets(contracts, in_scope),
        "broken": broken,
        "near_sunset_days": attentioncontracts.NEAR_SUNSET_DAYS,
    }


def scope(reader: Reader, principal: Principal, query: dict[str, str]) -> str | None:
    """The team the page is about (a name), or None for the whole organisation."""
    asked = query.get("team", "").strip()
    if asked == ALL:
        return None
    if asked:
        reader.detail("group", asked, noun="team")  # a 404 page for an unknown team
        return asked
    return name_of(principal.team) if principal.team else None


def _services_of(reader: Reader, team: str | None) -> set[str] | None:
    if team is None:
        return None
    owner = reader.detail("group", team, noun="team").ref
    return {name_of(s.ref) for s in reader.all("Component", type="service", owner=owner)}


def _title(reader: Reader, team: str | None) -> str:
    if team is None:
        return "the whole organisation"
    entity = reader.detail("group", team, noun="team")
    return entity.title or entity.name
