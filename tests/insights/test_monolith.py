"""Distributed-monolith signals, each on a worked example, with their thresholds changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.insights.lockstep import Deploy, clusters, co_deploys
from orgloop.insights.models import Thresholds
from orgloop.insights.monolith import TraceFacts, signals
from orgloop.insights.org import Call, Org, org_from_descriptors
from tests.insights.builders import small_org

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def lockstep_deploys() -> list[Deploy]:
    """s1 (team a) in hour windows 0, 1, 2, 3 (twice in window 0); s3 (team b) in 0, 1, 2, 5, 6,
    7; s2 (team a) in 10, 11."""
    hours = {"s1": [0, 0.5, 1, 2, 3], "s3": [0.2, 1.2, 2.2, 5, 6, 7], "s2": [10, 11]}
    return [Deploy(s, at(h)) for s, hs in hours.items() for h in hs]


def test_co_deploy_degree_takes_code_maats_logical_coupling_form() -> None:
    """By hand: s1 has 4 windows (two deploys in window 0 count once), s3 has 6, they share
    windows 0, 1, 2: degree = 100 * 3 / ((4 + 6) / 2) = 60. s2 shares none."""
    owner = {"s1": "a", "s2": "a", "s3": "b"}
    [pair] = co_deploys(lockstep_deploys(), owner)
    assert pair.services == ("s1", "s3")
    assert (pair.shared, pair.deploys, pair.degree) == (3, (4, 6), 60.0)
    assert co_deploys(lockstep_deploys(), owner, min_degree=61) == []
    assert co_deploys(lockstep_deploys(), owner, min_shared=4) == []
    assert clusters([pair]) == [["s1", "s3"]]


def test_deploys_of_one_team_together_are_not_lockstep_across_teams() -> None:
    owner = {"s1": "a", "s2": "a", "s3": "a"}
    assert co_deploys(lockstep_deploys(), owner) == []
    assert len(co_deploys(lockstep_deploys(), owner, cross_team_only=False)) == 1


def test_a_wider_window_joins_deploys_hours_apart() -> None:
    """With 1-day windows all of s1's and s3's deploys fall in day 0: degree 100 * 1 / 1 = 100
    but only one shared window, so it needs min_shared 1 to show."""
    owner = {"s1": "a", "s3": "b"}
    [pair] = co_deploys(lockstep_deploys(), owner, window_seconds=86400, min_shared=1)
    assert pair.degree == 100.0


def test_the_small_organisation_lists_its_signals_by_severity_with_teams() -> None:
    """By hand: s1 -> s3 -> s5 -> s1 is a cycle across teams a, b, c (high); s1 and s3 deploy
    in lockstep, degree 60 (medium, below 80); db1 is shared by b and c (medium); s3-api has
    the unversioned route /orders and a consumer in team a (medium). The longest declared chain
    is {s1, s3, s5} -> s2 -> s4, 2 hops: no deep-chain signal at the default of 4."""
    org = org_from_descriptors(small_org())
    found = signals(org, lockstep_deploys())
    assert [(s.kind, s.severity, s.teams) for s in found] == [
        ("cycle", "high", ("a", "b", "c")),
        ("lockstep-deploys", "medium", ("a", "b")),
        ("shared-persistence", "medium", ("b", "c")),
        ("unversioned-api", "medium", ("a", "b")),
    ]
    assert found[0].evidence["calls"] == [["s1", "s3"], ["s3", "s5"], ["s5", "s1"]]
    assert found[1].evidence == {"shared_windows": 3, "deploy_windows": [4, 6], "degree": 60.0}
    assert found[3].evidence["unversioned_routes"] == ["/orders"]


def test_thresholds_change_what_is_reported() -> None:
    org = org_from_descriptors(small_org())
    strict = Thresholds(max_chain_depth=1, high_co_deploy_degree=60, min_teams_sharing_database=3)
    found = {s.kind: s for s in signals(org, lockstep_deploys(), thresholds=strict)}
    assert found["lockstep-deploys"].severity == "high"
    assert "shared-persistence" not in found
    chain = found["deep-chain"]
    assert chain.evidence["chain"] == ["s1", "s2", "s4"]
    assert chain.evidence["depth"] == 2.0
    assert chain.threshold == {"max_chain_depth": 1}


def test_an_api_with_no_published_version_is_unversioned() -> None:
    org = org_from_descriptors(small_org())
    from dataclasses import replace

    apis = tuple(replace(a, paths=("/v1/x",), versions=()) for a in org.apis)
    [signal] = [s for s in signals(replace(org, apis=apis)) if s.kind == "unversioned-api"]
    assert "no published version" in signal.summary
    versioned = tuple(replace(a, versions=("1.0.0",)) for a in apis)
    assert not [s for s in signals(replace(org, apis=versioned)) if s.kind == "unversioned-api"]


def test_deep_chains_from_traces_use_the_p95_depth_per_entry_point() -> None:
    """Depths 1..20 at entry 'web': numpy's p95 (linear) = 1 + 0.95 * 19 = 19.05 > 4."""
    org = Org(teams=("x",), owner={"web": "x"})
    facts = TraceFacts(depths={"web": list(range(1, 21))})
    [signal] = signals(org, traces=facts)
    assert signal.kind == "deep-chain"
    assert signal.evidence["depth"] == 19.05
    assert signal.severity == "high"  # more than twice the limit


def test_chatty_edges_need_traces_and_compare_calls_per_request() -> None:
    org = Org(teams=("x", "y"), owner={"p": "x", "q": "y"}, calls=(Call("p", "q"),))
    assert [s for s in signals(org) if s.kind == "chatty-edge"] == []
    facts = TraceFacts(per_request={("p", "q"): 12.0})
    [signal] = [s for s in signals(org, traces=facts) if s.kind == "chatty-edge"]
    assert (signal.teams, signal.evidence) == (("x", "y"), {"calls_per_request": 12.0})
    relaxed = Thresholds(max_calls_per_request=20)
    assert [
        s for s in signals(org, traces=facts, thresholds=relaxed) if s.kind == "chatty-edge"
    ] == []


def test_asynchronous_calls_make_no_cycle() -> None:
    org = Org(
        teams=("x", "y"),
        owner={"p": "x", "q": "y"},
        calls=(Call("p", "q"), Call("q", "p", synchronous=False)),
    )
    assert [s for s in signals(org) if s.kind == "cycle"] == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p", "q", "r", "s"]), st.integers(0, 48)), max_size=60))
def test_co_deploy_degree_lies_in_0_100_and_shared_windows_in_each_count(
    records: list[tuple[str, int]],
) -> None:
    owner = {"p": "x", "q": "y", "r": "z", "s": "x"}
    deploys = [Deploy(s, at(h)) for s, h in records]
    for pair in co_deploys(deploys, owner, min_shared=1, min_degree=0, cross_team_only=False):
        assert 0 < pair.degree <= 100
        assert pair.shared <= min(pair.deploys)
