"""Pure results turned into the wire models the API, the CLI and the web pages show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from orgloop.insights.conway import conway
from orgloop.insights.models import (
    CallOut,
    ConwayReport,
    MonolithReport,
    NeedOut,
    SignalOut,
    TeamLoadOut,
    TeamShapeOut,
    TeamShapeReport,
    TeamVelocityOut,
    Thresholds,
    UnitShapeOut,
    VelocityMonth,
    VelocityReport,
)
from orgloop.insights.monolith import Signal
from orgloop.insights.org import Org, short
from orgloop.insights.teamshape import team_shapes, unit_shapes
from orgloop.insights.velocity import TeamVelocity

TEAM_LIMIT = 10
UNIT_LIMIT = 100


def conway_report(org: Org, *, source: str, team: str | None = None) -> ConwayReport:
    c = conway(org)
    mine = short(team) if team else None
    needs = [n for n in c.needs if mine is None or mine in n.teams]
    declared = [
        [min(p), max(p), mode]
        for p, mode in sorted(org.interactions.items(), key=str)
        if len(p) == 2
    ]
    covered = sum(1 for n in needs if n.declared is not None)
    return ConwayReport(
        source=source,
        congruence=covered / len(needs) if needs else None,  # the team's own, with ``team``
        needs=len(needs),
        covered=covered,
        uncovered=[
            NeedOut(
                teams=list(n.teams),
                rate=n.rate,
                declared=None,
                calls=[CallOut(**vars(x)) for x in n.calls],
            )
            for n in needs
            if n.declared is None
        ],
        declared_unused=[list(u) for u in c.declared_unused if mine is None or mine in u[:2]],
        cross_team_share=c.cross_team_share,
        teams=[TeamLoadOut(**vars(load)) for load in c.teams if mine is None or load.team == mine],
        matrix={
            "teams": list(c.matrix_teams),
            "needs": [list(r) for r in c.cr],
            "declared": declared,
        },
    )


def monolith_report(
    found: Sequence[Signal], *, source: str, deploys: int, thresholds: Thresholds
) -> MonolithReport:
    return MonolithReport(
        source=source,
        deploys=deploys,
        thresholds=thresholds,
        signals=[SignalOut(**vars(s)) for s in found],  # the same fields; tuples become lists
    )


def team_shape_report(org: Org, *, team: str | None = None) -> TeamShapeReport:
    mine = short(team) if team else None
    return TeamShapeReport(
        team_size_limit=TEAM_LIMIT,
        unit_size_limit=UNIT_LIMIT,
        teams=[
            TeamShapeOut(
                team=s.team,
                unit=s.unit,
                people=s.people,
                paths=s.paths,
                over_size=s.over_size,
                functions=list(s.functions),
                needs=list(s.needs),
                lacks=list(s.lacks),
                can_ship_alone=s.can_ship_alone,
                n_tier=s.n_tier,
                capabilities=list(s.capabilities),
            )
            for s in team_shapes(org, team_limit=TEAM_LIMIT)
            if mine is None or s.team == mine
        ],
        units=[
            UnitShapeOut(**vars(u))
            for u in unit_shapes(org, unit_limit=UNIT_LIMIT)
            if mine is None or u.unit == org.unit.get(mine)
        ],
    )


def velocity_report(teams: Sequence[TeamVelocity], *, since: datetime | None) -> VelocityReport:
    return VelocityReport(
        since=since.isoformat() if since else None,
        teams=[
            TeamVelocityOut(
                team=v.team,
                started=v.started,
                decided=v.decided,
                median_days_to_decision=v.median_days_to_decision,
                shipped=v.shipped,
                killed=v.killed,
                inconclusive=v.inconclusive,
                months=[VelocityMonth(month=m, started=s, decided=d) for m, s, d in v.months],
            )
            for v in teams
        ],
    )
