"""The service dependency graph read from the catalog: who calls whom, coloured by owning team.

An edge goes from a consumer to the service that provides the API it consumes (``calls``), or
from a component to what it declares it ``dependsOn``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from orgloop.catalog.models import EntityDetail, EntitySummary
from orgloop.web import graph
from orgloop.web.links import href, link
from orgloop.web.reader import Reader, targets


@dataclass(frozen=True)
class ServiceGraph:
    nodes: tuple[graph.Node, ...]
    edges: tuple[graph.Edge, ...]
    colours: dict[str, str]
    teams: dict[str, EntitySummary]


def read_graph(reader: Reader) -> ServiceGraph:
    """The whole catalog's graph: one read per component (fine at the scale of one company)."""
    components = [reader.catalog.get_entity(c.ref) for c in reader.all("Component")]
    providers: dict[str, list[str]] = defaultdict(list)
    for c in components:
        for api in targets(c, "providesApi"):
            providers[api].append(c.ref)
    edges = {
        graph.Edge(c.ref, p, "calls")
        for c in components
        for api in targets(c, "consumesApi")
        for p in providers[api]
    }
    edges |= {graph.Edge(c.ref, t, "depends") for c in components for t in targets(c, "dependsOn")}
    others = reader.summaries({e.target for e in edges} - {c.ref for c in components})
    entities: list[EntitySummary] = [*components, *others.values()]
    groups = reader.all("Group")
    return ServiceGraph(
        nodes=tuple(_node(e) for e in entities),
        edges=tuple(e for e in edges if e.target in {n.ref for n in entities}),
        colours=graph.team_colours([g.ref for g in groups]),
        teams={g.ref: g for g in groups},
    )


def _node(entity: EntitySummary | EntityDetail) -> graph.Node:
    kind = entity.type or entity.kind.lower()
    return graph.Node(entity.ref, entity.name, entity.owner, href(entity.ref), kind)


def around(full: ServiceGraph, focus: str) -> ServiceGraph:
    """The focus and its direct neighbours, with the edges among them."""
    near = {focus} | {e.target for e in full.edges if e.source == focus}
    near |= {e.source for e in full.edges if e.target == focus}
    return ServiceGraph(
        nodes=tuple(n for n in full.nodes if n.id in near),
        edges=tuple(e for e in full.edges if e.source in near and e.target in near),
        colours=full.colours,
        teams=full.teams,
    )


def graph_view(g: ServiceGraph, *, title: str, focus: str | None = None) -> dict[str, Any]:
    """The graph as data for the JSON twin, plus ``svg`` and ``legend`` for the HTML page."""
    drawn = graph.layout(g.nodes, g.edges)
    shown = sorted({n.team for n in g.nodes if n.team})
    legend = [
        {**(link(t, g.teams.get(t)) or {}), "colour": g.colours.get(t, graph.NO_TEAM)}
        for t in shown
    ]
    return {
        "nodes": [
            {"ref": p.node.id, "name": p.node.label, "kind": p.node.kind, "team": p.node.team,
             "column": p.column, "row": p.row}
            for p in drawn.nodes
        ],
        "edges": [{"from": e.source, "to": e.target, "kind": e.kind} for e in drawn.edges],
        "legend": legend,
        "svg": Markup(graph.render_svg(drawn, g.colours, title=title, focus=focus)),
    }  # fmt: skip
