"""Today's organisation and the scenario's, recomputed side by side: congruence, cross-team
share, fan-in/out and cognitive load per team, lockstep clusters that cross teams, team shape,
and (with a simulation) flow time, hand-offs and queue lengths of the same work. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from orgloop.insights.conway import conway
from orgloop.insights.lockstep import CoDeploys, Deploy, clusters, co_deploy_matrix, co_deploys
from orgloop.insights.models import Thresholds
from orgloop.insights.org import Org
from orgloop.insights.teamshape import team_shapes
from orgloop.insights.whatif.scenario import apply_scenario
from orgloop.insights.whatif.simulation import SimConfig, simulate


def snapshot(
    org: Org,
    deploys: Sequence[Deploy] | CoDeploys,
    *,
    thresholds: Thresholds | None = None,
    simulation: SimConfig | None = None,
) -> dict[str, Any]:
    """One organisation's numbers, as the what-if report shows them for each side."""
    t = thresholds or Thresholds()
    c = conway(org)
    pairs = co_deploys(
        deploys,
        org.owner,
        window_seconds=t.deploy_window_minutes * 60,
        min_shared=t.min_shared_deploys,
        min_degree=t.min_co_deploy_degree,
    )
    shapes = team_shapes(org)
    result: dict[str, Any] = {
        "teams": len(set(org.teams) | set(org.owner.values())),
        "congruence": c.congruence,
        "coordination_needs": len(c.needs),
        "uncovered_needs": len(c.uncovered),
        "cross_team_share": c.cross_team_share,
        "lockstep_pairs": len(pairs),
        "lockstep_clusters": clusters(pairs),
        "per_team": {
            load.team: {
                "fan_in": load.fan_in,
                "fan_out": load.fan_out,
                "services": load.services,
                "apis": load.apis,
                "dependencies": load.dependencies,
                "people": next((s.people for s in shapes if s.team == load.team), 0),
            }
            for load in c.teams
        },
        "teams_that_cannot_ship_alone": [s.team for s in shapes if not s.can_ship_alone],
        "n_tier_teams": [s.team for s in shapes if s.n_tier],
        "simulation": None,
    }
    if simulation is not None:
        headcount = {t: len(m) for t, m in org.members.items()}
        result["simulation"] = asdict(simulate(org.owner, simulation, headcount=headcount))
    return result


def what_if(
    org: Org,
    body: Any,
    deploys: Sequence[Deploy] = (),
    *,
    source: str = "scenario",
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    """Before and after side by side, and what changed; InvalidInput when the file is wrong."""
    after_org, scenario = apply_scenario(org, body, source=source)
    t = thresholds or Thresholds()
    shared = co_deploy_matrix(deploys, window_seconds=t.deploy_window_minutes * 60)
    before = snapshot(org, shared, thresholds=t, simulation=scenario.simulation)
    after = snapshot(after_org, shared, thresholds=t, simulation=scenario.simulation)
    return {
        "scenario": scenario.name,
        "changes": len(scenario.changes),
        "before": before,
        "after": after,
        "delta": _delta(before, after),
    }


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    keys = ("congruence", "cross_team_share", "uncovered_needs", "lockstep_pairs", "teams")
    delta: dict[str, Any] = {}
    for key in keys:
        a, b = before[key], after[key]
        delta[key] = None if a is None or b is None else round(b - a, 6)
    sim_a, sim_b = before["simulation"], after["simulation"]
    if sim_a and sim_b:
        for key in ("mean_flow_days", "p85_flow_days", "handoffs_per_item", "flow_efficiency"):
            delta[key] = round(sim_b[key] - sim_a[key], 6)
    return delta
