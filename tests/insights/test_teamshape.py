"""Team shape: sizes and paths, vertical integration and the N-tier smell, worked by hand."""

from __future__ import annotations

from orgloop.insights.org import Org, org_from_descriptors
from orgloop.insights.teamshape import paths, team_shapes, unit_shapes
from tests.insights.builders import small_org
from tests.insights.ntier import n_tier


def test_communication_paths_grow_as_n_n_minus_1_over_2() -> None:
    """5 people: 5*4/2 = 10 paths; 10 people: 45; 100 people: 4,950; 150: 11,175."""
    assert [paths(n) for n in (0, 1, 5, 10, 100, 150)] == [0, 0, 10, 45, 4950, 11175]


def test_team_and_unit_sizes_against_the_guidelines() -> None:
    """Team big has 12 people (> 10, 66 paths); team small 3 (3 paths). Their unit holds 15
    people (105 paths), under 100 people; with a limit of 10 it is over."""
    org = Org(
        teams=("big", "small"),
        owner={},
        members={"big": tuple(f"p{i}" for i in range(12)), "small": ("x", "y", "z")},
        unit={"big": "u", "small": "u"},
    )
    shapes = {s.team: s for s in team_shapes(org)}
    assert (shapes["big"].people, shapes["big"].paths, shapes["big"].over_size) == (12, 66, True)
    assert (shapes["small"].paths, shapes["small"].over_size) == (3, False)
    [unit] = unit_shapes(org)
    assert (unit.teams, unit.people, unit.paths, unit.over_size) == (2, 15, 105, False)
    assert unit_shapes(org, unit_limit=10)[0].over_size


def test_a_team_without_a_function_its_services_need_is_named_with_what_it_lacks() -> None:
    """Team b's s4 uses database db1, so b needs backend and database; its only person, carol,
    is backend: b lacks database. Team a (website s1: frontend; s2: backend) has alice
    (backend, database) and bob (frontend): nothing lacking."""
    shapes = {s.team: s for s in team_shapes(org_from_descriptors(small_org()))}
    assert shapes["b"].needs == ("backend", "database")
    assert shapes["b"].lacks == ("database",)
    assert not shapes["b"].can_ship_alone
    assert shapes["a"].can_ship_alone
    assert shapes["a"].unit == "shop"


def test_the_n_tier_smell_names_layer_teams_across_capabilities() -> None:
    """frontend owns search-ui, checkout-ui and profile-ui: one layer across three capabilities.
    Each capability needs frontend, backend and database; frontend's people are all frontend,
    so it lacks backend and database."""
    shapes = {s.team: s for s in team_shapes(n_tier())}
    assert {t: s.n_tier for t, s in shapes.items()} == {
        "backend": "backend",
        "data": "database",
        "frontend": "frontend",
    }
    assert shapes["frontend"].capabilities == ("checkout", "profile", "search")
    assert shapes["frontend"].lacks == ("backend", "database")
