"""Conway alignment on the hand-worked organisation of ``builders`` and as properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.insights.conway import conway, matrices
from orgloop.insights.org import Call, Org, org_from_descriptors
from tests.insights.builders import small_org


def test_coordination_needs_and_congruence_of_the_small_organisation() -> None:
    """Worked by hand. T_A (teams a, b, c x services s1..s5) has a: s1 s2, b: s3 s4, c: s5.
    T_D has 1 for s1->s2, s1->s3, s2->s4, s3->s5, s5->s1. C_R = T_A.T_D.T_A^T:
    C_R[a,a] = 1 (s1->s2), C_R[a,b] = 2 (s1->s3, s2->s4), C_R[b,c] = 1 (s3->s5),
    C_R[c,a] = 1 (s5->s1), every other cell 0. Needs (pairs, either way): a-b, b-c, a-c.
    Declared: a-b and b-c. Congruence = 2/3. The uncovered need a-c rests on s5->s1.
    Cross-team share = (2 + 1 + 1) / 5 = 0.8.
    """
    org = org_from_descriptors(small_org())
    m = matrices(org)
    assert m.teams == ("a", "b", "c")
    assert m.cr.toarray().tolist() == [[1, 2, 0], [0, 0, 1], [1, 0, 0]]
    report = conway(org)
    assert report.congruence == 2 / 3
    assert [n.teams for n in report.uncovered] == [("a", "c")]
    assert [(c.source, c.target) for c in report.uncovered[0].calls] == [("s5", "s1")]
    assert report.cross_team_share == 0.8


def test_fan_in_fan_out_and_cognitive_load_per_team() -> None:
    """By hand from C_R above without its diagonal: a calls b (fan-out 1) and is called by c
    (fan-in 1); b calls c, is called by a; c calls a, is called by b. a's services call s3 and
    s4 of other teams (2 dependencies), b's call s5 (1), c's call s1 (1). b provides s3-api.
    """
    loads = {t.team: t for t in conway(org_from_descriptors(small_org())).teams}
    assert [(t.fan_in, t.fan_out, t.dependencies) for t in loads.values()] == [
        (1, 1, 2),
        (1, 1, 1),
        (1, 1, 1),
    ]
    assert (loads["a"].calls_out, loads["b"].calls_in) == (2.0, 2.0)
    assert [(t.services, t.apis) for t in loads.values()] == [(2, 0), (2, 1), (1, 0)]


def test_a_declared_interaction_without_calls_is_reported_as_unused() -> None:
    org = Org(
        teams=("x", "y"),
        owner={"p": "x", "q": "y"},
        interactions={frozenset(("x", "y")): "facilitating"},
    )
    report = conway(org)
    assert report.congruence is None  # no need at all: nothing to be congruent with
    assert report.declared_unused == (("x", "y", "facilitating"),)


def test_observed_rates_weight_the_needs() -> None:
    """Two calls from p (team x) to q (team y) at 2.5/s and 0.5/s, one inside y at 1/s:
    C_R[x,y] = 3.0, cross-team share = 3 / 4 = 0.75."""
    org = Org(
        teams=("x", "y"),
        owner={"p": "x", "q": "y", "r": "y"},
        calls=(Call("p", "q", 2.5), Call("p", "q", 0.5), Call("q", "r", 1.0)),
    )
    report = conway(org)
    assert report.needs[0].rate == 3.0
    assert report.cross_team_share == 0.75


@st.composite
def organisations(draw: st.DrawFn) -> Org:
    teams = [f"t{i}" for i in range(draw(st.integers(1, 5)))]
    services = [f"s{i}" for i in range(draw(st.integers(1, 12)))]
    owner = {s: draw(st.sampled_from(teams)) for s in services}
    calls = draw(
        st.lists(
            st.tuples(st.sampled_from(services), st.sampled_from(services), st.floats(0.01, 100)),
            max_size=30,
        )
    )
    pairs = draw(st.lists(st.tuples(st.sampled_from(teams), st.sampled_from(teams)), max_size=6))
    return Org(
        teams=tuple(teams),
        owner=owner,
        calls=tuple(Call(a, b, r) for a, b, r in calls),
        interactions={frozenset(p): "collaboration" for p in pairs if p[0] != p[1]},
    )


@settings(max_examples=200, deadline=None)
@given(organisations())
def test_congruence_and_cross_team_share_lie_in_zero_one(org: Org) -> None:
    report = conway(org)
    for value in (report.congruence, report.cross_team_share):
        assert value is None or 0.0 <= value <= 1.0 + 1e-12


@settings(max_examples=100, deadline=None)
@given(organisations())
def test_declaring_every_needed_interaction_gives_full_congruence(org: Org) -> None:
    needs = conway(org).needs
    declared = {frozenset(n.teams): "collaboration" for n in needs}
    full = conway(Org(teams=org.teams, owner=org.owner, calls=org.calls, interactions=declared))
    assert full.congruence in (None, 1.0)
