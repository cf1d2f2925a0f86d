"""Laying out and drawing the service graph: pure functions, checked on generated graphs."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.web.graph import Edge, Node, layout, render_svg, team_colours

NAMES = st.sampled_from([f"svc-{i}" for i in range(12)])
TEAMS = st.sampled_from(["checkout", "discovery", "platform", None])


@st.composite
def graphs(draw: st.DrawFn, *, acyclic: bool = False) -> tuple[list[Node], list[Edge]]:
    ids = draw(st.lists(NAMES, min_size=1, max_size=12, unique=True))
    nodes = [Node(i, i, draw(TEAMS)) for i in ids]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=30))
    if acyclic:  # edges only from an earlier to a later node: no cycle possible
        pairs = [(a, b) for a, b in pairs if ids.index(a) < ids.index(b)]
    kinds = st.sampled_from(["calls", "depends"])
    return nodes, [Edge(a, b, draw(kinds)) for a, b in pairs]


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(graphs())
def test_every_node_gets_its_own_place_inside_the_drawing(
    graph: tuple[list[Node], list[Edge]],
) -> None:
    nodes, edges = graph
    drawn = layout(nodes, edges)
    places = [(p.column, p.row) for p in drawn.nodes]
    assert sorted(p.node.id for p in drawn.nodes) == sorted(n.id for n in nodes)
    assert len(set(places)) == len(places)
    assert all(0 <= p.x < drawn.width and 0 <= p.y < drawn.height for p in drawn.nodes)


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(graphs(acyclic=True))
def test_without_cycles_every_arrow_points_to_a_later_column(
    graph: tuple[list[Node], list[Edge]],
) -> None:
    drawn = layout(*graph)
    for edge in drawn.edges:
        assert drawn.at(edge.source).column < drawn.at(edge.target).column


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(graphs())
def test_the_drawing_is_well_formed_svg_with_one_box_per_node(
    graph: tuple[list[Node], list[Edge]],
) -> None:
    nodes, edges = graph
    drawn = layout(nodes, edges)
    svg = ET.fromstring(render_svg(drawn, team_colours(n.team for n in nodes), title="g"))
    boxes = svg.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(boxes) == len(drawn.nodes)


def test_a_cycle_is_drawn_not_lost() -> None:
    nodes = [Node("a", "a"), Node("b", "b"), Node("c", "c")]
    edges = [Edge("a", "b"), Edge("b", "c"), Edge("c", "a")]
    drawn = layout(nodes, edges)
    assert len(drawn.edges) == 3
    assert [drawn.at(i).column for i in "abc"] == [0, 1, 2]


def test_labels_and_links_are_escaped() -> None:
    node = Node('x"><script>', "<b>bold</b>", "t&t", href='/services/"x')
    svg = render_svg(layout([node], []), {"t&t": "#4e79a7"}, title="<title>")
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;b&gt;" in svg
    ET.fromstring(svg)


@settings(deadline=None)  # timing measures the shared machine, not the code
@given(st.lists(TEAMS, max_size=8), st.randoms())
def test_a_team_keeps_its_colour_whatever_order_teams_come_in(
    teams: list[str | None], rnd: random.Random
) -> None:
    shuffled = list(teams)
    rnd.shuffle(shuffled)
    assert team_colours(teams) == team_colours(shuffled)
