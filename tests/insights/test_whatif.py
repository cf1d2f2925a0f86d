"""What-if: scenario changes, bad scenario files, side-by-side numbers and the simulation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.insights.lockstep import Deploy
from orgloop.insights.org import org_from_descriptors
from orgloop.insights.whatif import snapshot, what_if
from orgloop.insights.whatif.scenario import apply_scenario
from orgloop.insights.whatif.simulation import ItemType, SimConfig, Stage, simulate
from orgloop.kernel.errors import InvalidInput
from tests.insights.builders import small_org
from tests.insights.ntier import n_tier, scenario
from tests.insights.test_monolith import lockstep_deploys


def test_moving_s5_to_team_a_covers_the_missing_interaction() -> None:
    """Moving s5 (c) to a: calls s3->s5 become b->a and s5->s1 stays inside a. Needs: a-b
    only (s1->s3, s2->s4, s3->s5), declared: congruence 1/1. Cross-team share 3/5 = 0.6.
    Lockstep s1 (a) - s3 (b) stays a cross-team pair."""
    body = {"changes": [{"move_service": "s5", "to": "a"}]}
    report = what_if(org_from_descriptors(small_org()), body, lockstep_deploys())
    before, after = report["before"], report["after"]
    assert (before["congruence"], after["congruence"]) == (2 / 3, 1.0)
    assert (before["cross_team_share"], after["cross_team_share"]) == (0.8, 0.6)
    assert report["delta"]["uncovered_needs"] == -1
    assert after["lockstep_clusters"] == [["s1", "s3"]]


def test_merging_the_lockstep_teams_removes_the_cross_team_lockstep_pair() -> None:
    body = {"changes": [{"merge": ["a", "b"], "into": "ab"}]}
    report = what_if(org_from_descriptors(small_org()), body, lockstep_deploys())
    assert (report["before"]["lockstep_pairs"], report["after"]["lockstep_pairs"]) == (1, 0)
    assert report["after"]["per_team"]["ab"]["people"] == 3
    assert report["after"]["teams"] == 2


def test_splitting_a_team_moves_its_listed_services_and_people() -> None:
    body = {"changes": [{"split": "a", "into": {"a2": {"services": ["s2"], "people": ["bob"]}}}]}
    after, _ = apply_scenario(org_from_descriptors(small_org()), body)
    assert after.owner["s2"] == "a2"
    assert after.owner["s1"] == "a"
    assert after.members["a2"] == ("bob",)
    assert after.members["a"] == ("alice",)
    assert after.unit["a2"] == "shop"


def test_the_n_tier_example_of_the_docs() -> None:
    """The numbers docs/insights.md quotes: layer teams hand every item off twice; capability
    teams never do, and with the same 9 people and the same work (seed 7, 281 items) the
    mean flow time drops from 9.49 to 4.78 days, flow efficiency rises from 41% to 82%."""
    report = what_if(n_tier(), scenario(), source="capability-teams.yaml")
    before, after = report["before"], report["after"]
    assert before["n_tier_teams"] == ["backend", "data", "frontend"]
    assert after["n_tier_teams"] == []
    assert before["teams_that_cannot_ship_alone"] == ["backend", "data", "frontend"]
    assert after["teams_that_cannot_ship_alone"] == []
    assert (before["cross_team_share"], after["cross_team_share"]) == (1.0, 0.0)
    sim_a, sim_b = before["simulation"], after["simulation"]
    assert (sim_a["items"], sim_b["items"]) == (281, 281)
    assert (sim_a["handoffs_per_item"], sim_b["handoffs_per_item"]) == (2.0, 0.0)
    assert (sim_a["mean_flow_days"], sim_b["mean_flow_days"]) == (9.49, 4.78)
    assert (sim_a["flow_efficiency"], sim_b["flow_efficiency"]) == (0.413, 0.821)


def test_the_simulation_counts_hand_offs_and_waits_for_each() -> None:
    """One item type, stages on p (team x) then q (team y), 1 day each on average, hand-off 3
    days, 1 arrival a day for 30 days. Each item: 1 hand-off; its flow time is at least its
    work plus 3 days. Owned by one team: no hand-off, flow time 3 days shorter or more."""
    config = SimConfig(
        items=(ItemType("i", (Stage("p", 1.0), Stage("q", 1.0))),),
        arrival_per_day=1.0,
        days=30,
        handoff_days=3.0,
        seed=3,
    )
    split = simulate({"p": "x", "q": "y"}, config, headcount={"x": 5, "y": 5})
    one = simulate({"p": "x", "q": "x"}, config, headcount={"x": 10})
    assert split.items == one.items > 0
    assert split.handoffs_per_item == 1.0
    assert one.handoffs_per_item == 0.0
    assert split.mean_waiting_days >= 3.0
    assert split.mean_flow_days - one.mean_flow_days >= 3.0 - 0.01
    assert split.mean_active_days == one.mean_active_days  # the same work, drawn once


def test_queues_build_where_capacity_is_short() -> None:
    """2 arrivals a day of 1 day's work at a team of 1: utilisation would be 200%, its queue
    grows; at a team of 4 (50%) it stays short."""
    config = SimConfig(items=(ItemType("i", (Stage("p", 1.0),)),), arrival_per_day=2, days=60)
    short = simulate({"p": "x"}, config, headcount={"x": 1})
    ample = simulate({"p": "x"}, config, headcount={"x": 4})
    assert short.teams[0].max_queue > 20 > ample.teams[0].max_queue
    assert short.mean_flow_days > 5 * ample.mean_flow_days


def errors_of(body: Any) -> list[dict[str, Any]]:
    with pytest.raises(InvalidInput) as caught:
        apply_scenario(org_from_descriptors(small_org()), body, source="plan.yaml")
    errors: list[dict[str, Any]] = caught.value.details["errors"]
    return errors


def test_every_problem_of_a_scenario_is_reported_with_file_index_and_field() -> None:
    body = {
        "changes": [
            {"move_service": "s1", "to": "a"},
            {"move_service": "nope", "to": "zz"},
            {"move_person": "bob", "to": "b", "merge": ["a", "b"]},
            {"split": "a", "into": {"b": {"services": ["s3"]}}},
            {"declare": ["a", "c"], "mode": "friendship"},
            {"remove_team": "c"},
        ],
        "simulation": {"days": -1, "items": [{"stages": [{"service": "ghost", "days": 1}]}]},
        "extra": 1,
    }
    found = [(e["file"], e["index"], e["path"]) for e in errors_of(body)]
    assert found == [
        ("plan.yaml", None, "extra"),
        ("plan.yaml", 1, "changes[1].move_service"),
        ("plan.yaml", 1, "changes[1].to"),
        ("plan.yaml", 2, "changes[2]"),
        ("plan.yaml", 3, "changes[3].into.b"),
        ("plan.yaml", 4, "changes[4].mode"),
        ("plan.yaml", 5, "changes[5].remove_team"),
        ("plan.yaml", None, "simulation.days"),
        ("plan.yaml", None, "simulation.items[0].stages[0].service"),
        ("plan.yaml", None, "simulation.items"),
    ]


def test_a_scenario_with_an_error_changes_nothing() -> None:
    org = org_from_descriptors(small_org())
    kept = copy.deepcopy(org)
    body = {"changes": [{"move_service": "s5", "to": "a"}, {"move_service": "s1", "to": "q"}]}
    with pytest.raises(InvalidInput):
        what_if(org, body)
    assert org == kept


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param([1, 2], "", id="not-a-mapping"),
        pytest.param({"changes": "move"}, "changes", id="changes-not-a-list"),
        pytest.param({"changes": ["s1"]}, "changes[0]", id="change-not-a-mapping"),
        pytest.param({"changes": [{}]}, "changes[0]", id="no-action"),
        pytest.param({"changes": [{"merge": ["a"]}]}, "changes[0].merge", id="merge-one"),
        pytest.param({"simulation": {"items": []}}, "simulation.items", id="no-items"),
    ],
)
def test_malformed_scenarios_name_the_field(body: Any, path: str) -> None:
    assert errors_of(body)[0]["path"] == path


def test_a_later_change_may_use_a_team_an_earlier_change_created() -> None:
    body = {
        "changes": [
            {"split": "a", "into": {"web": {"services": ["s1"]}}},
            {"move_person": "bob", "to": "web"},
        ]
    }
    after, _ = apply_scenario(org_from_descriptors(small_org()), body)
    assert after.members["web"] == ("bob",)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["s1", "s2", "s3", "s4", "s5"]), max_size=3))
def test_a_scenario_without_changes_reproduces_today_exactly(noise: list[str]) -> None:
    org = org_from_descriptors(small_org())
    deploys = [*lockstep_deploys(), *(Deploy(s, lockstep_deploys()[0].at) for s in noise)]
    report = what_if(org, {"changes": []}, deploys)
    assert report["before"] == report["after"] == snapshot(org, deploys)
    assert all(v in (0, 0.0, None) for v in report["delta"].values())


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["s1", "s2", "s3", "s4", "s5"]), st.sampled_from(["a", "b", "c"]))
def test_moving_a_service_to_its_own_team_changes_nothing(service: str, team: str) -> None:
    org = org_from_descriptors(small_org())
    body = {"changes": [{"move_service": service, "to": org.owner[service]}]}
    report = what_if(org, body)
    assert report["before"] == report["after"]


def test_a_simulation_too_large_to_answer_quickly_is_refused() -> None:
    body = {
        "simulation": {
            "arrival_per_day": 1000,
            "days": 3650,
            "items": [{"stages": [{"service": "s1", "days": 1}]}],
        }
    }
    [error] = errors_of(body)
    assert error["path"] == "simulation.arrival_per_day"
    assert "3.65e+06 items" in error["message"]
