"""Data of the traces pages: the runtime service graph, one edge's page and a trace's waterfall.

Everything is read through ``TraceService`` (the graph already joined with the catalog) and the
catalog reader (team colours, links); ``tracegraph`` draws.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from orgloop.kernel.errors import InvalidInput
from orgloop.traces.models import EdgeFigures, GraphEdge, Latency, ServiceGraph, TraceView
from orgloop.traces.service import TraceService
from orgloop.web import graph, tracegraph
from orgloop.web.links import href, link
from orgloop.web.reader import Reader

WINDOWS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
SERVICE_NAME_ANNOTATION = "orgloop.dev/service-name"


def window(query: dict[str, str]) -> str:
    since = query.get("since") or "1h"
    if since not in WINDOWS:
        raise InvalidInput.at("since", f"{since!r} is not one of {', '.join(WINDOWS)}")
    return since


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def figures(f: EdgeFigures) -> dict[str, Any]:
    """An edge's (or split's) figures as the pages print them."""

    def lat(latency: Latency) -> dict[str, str]:
        return {q: _ms(getattr(latency, q)) for q in ("p50", "p95", "p99")}

    return {
        "requests": f"{f.requests:,.0f}",
        "rate": f"{f.rate:.3g}/s",
        "failed": f"{f.failed:,.0f}",
        "error_rate": f"{f.error_rate:.1%}",
        "server_latency": lat(f.server_latency),
        "client_latency": lat(f.client_latency),
        "tone": tracegraph.tone(f.error_rate),
    }


def edge_href(client: str, server: str, since: str) -> str:
    return "/traces/edge?" + urlencode({"client": client, "server": server, "since": since})


def runtime_graph(reader: Reader, traces: TraceService, query: dict[str, str]) -> dict[str, Any]:
    since = window(query)
    service = query.get("service") or None
    g = traces.graph(since=WINDOWS[since], service=service, env=query.get("env") or None)
    groups = reader.all("Group")
    colours = graph.team_colours([t.ref for t in groups])
    undeclared = {(u.client, u.server) for u in g.undeclared}
    nodes = {
        n.id: graph.Node(n.id, n.id, n.team, href(n.component) if n.component else None, n.kind)
        for n in g.nodes
    }
    drawn = [_drawn(e, since, (e.client, e.server) not in undeclared) for e in g.edges]
    unused = _unused(reader, g, nodes)
    drawn += unused
    teams = {g_.ref: g_ for g_ in groups}
    shown = sorted({n.team for n in nodes.values() if n.team})
    return {
        "since": since,
        "windows": list(WINDOWS),
        "service": service,
        "graph": g.model_dump(mode="json"),
        "rows": [
            {
                "client": e.client,
                "server": e.server,
                "href": edge_href(e.client, e.server, since),
                "undeclared": (e.client, e.server) in undeclared,
                **figures(e),
            }
            for e in g.edges
        ],
        "unused": [{"client": d.client, "server": d.server} for d in unused],
        "teams": [
            {**(link(t, teams.get(t)) or {}), "colour": colours.get(t, graph.NO_TEAM)}
            for t in shown
        ],
        "tones": [{"colour": c, "label": label} for _, c, label in tracegraph.ERROR_TONES],
        "svg": Markup(
            tracegraph.render_graph(
                list(nodes.values()), drawn, colours, title="Runtime service graph"
            )
        ),
    }


def _drawn(edge: GraphEdge, since: str, declared: bool) -> tracegraph.Drawn:
    tip = (
        f"{edge.client} → {edge.server}: {edge.rate:.2f}/s, {edge.error_rate:.1%} errors, "
        f"p95 {_ms(edge.server_latency.p95)}" + ("" if declared else " (not declared)")
    )
    return tracegraph.Drawn(
        edge.client,
        edge.server,
        edge.rate,
        edge.error_rate,
        declared,
        href=edge_href(edge.client, edge.server, since),
        tip=tip,
    )


def _unused(
    reader: Reader, g: ServiceGraph, nodes: dict[str, graph.Node]
) -> list[tracegraph.Drawn]:
    """Declared dependencies never observed, as edges between runtime names (nodes added)."""
    refs = {r for d in g.unused for r in (d.client, d.server)}
    summaries = reader.summaries(refs) if refs else {}
    drawn = []
    for d in g.unused:
        names = []
        for ref in (d.client, d.server):
            s = summaries.get(ref)
            name = (
                (s.annotations.get(SERVICE_NAME_ANNOTATION) or s.name) if s else ref.split("/")[-1]
            )
            if name not in nodes:
                kind = "service" if ref.startswith("component:") else "database"
                nodes[name] = graph.Node(name, name, s.owner if s else None, href(ref), kind)
            names.append(name)
        tip = f"{names[0]} → {names[1]}: declared ({d.via}), never observed"
        drawn.append(tracegraph.Drawn(names[0], names[1], observed=False, tip=tip))
    return drawn


def edge_page(traces: TraceService, query: dict[str, str]) -> dict[str, Any]:
    client, server = query.get("client", "").strip(), query.get("server", "").strip()
    if not client or not server:
        raise InvalidInput.at("client" if not client else "server", "name the edge's both ends")
    since = window(query)
    detail = traces.edge(
        client=client, server=server, since=WINDOWS[since], env=query.get("env") or None
    )
    e = detail.edge
    splits = [
        (title, [{"value": s.value or "(not set)", **figures(s)} for s in items])
        for title, items in (
            ("Client version", e.by_client_version),
            ("Server version", e.by_server_version),
            ("Operation", e.by_operation),
            ("Experiment variant", e.by_variant),
        )
    ]
    points = [(p.start.strftime("%H:%M"), p.requests / detail.step_seconds) for p in detail.series]
    p95 = [(p.start.strftime("%H:%M"), p.server_latency.p95) for p in detail.series]
    return {
        "since": since,
        "windows": list(WINDOWS),
        "client": client,
        "server": server,
        "detail": detail.model_dump(mode="json"),
        "figures": figures(e),
        "declared": e.declared,
        "splits": [{"title": t, "rows": rows} for t, rows in splits],
        "rate_svg": Markup(tracegraph.line_svg(points, title="Requests per second", unit="/s")),
        "p95_svg": Markup(
            tracegraph.line_svg(
                [(label, None if v is None else v * 1000) for label, v in p95],
                title="Server p95 latency",
                unit=" ms",
            )
        ),
    }


def trace_page(reader: Reader, traces: TraceService, trace_id: str) -> dict[str, Any]:
    view: TraceView = traces.trace(trace_id)
    colours = graph.team_colours([t.ref for t in reader.all("Group")])
    start = min((s.start_unix_nano for s in view.spans), default=0)
    total = max(view.duration_seconds * 1e9, 1.0)
    depth: dict[str, int] = {}
    rows = []
    for span in view.spans:
        level = depth[span.parent_span_id] + 1 if span.parent_span_id in depth else 0
        depth[span.span_id] = level
        colour = colours.get(span.team or "", graph.NO_TEAM)
        offset = (span.start_unix_nano - start) / total
        label = f"{span.service}: {span.name}, {_ms(span.duration_seconds)}"
        rows.append(
            {
                "span": span.model_dump(mode="json"),
                "depth": level,
                "indent": "·" * level,
                "duration": _ms(span.duration_seconds),
                "error": span.status == "error",
                "colour": colour,
                "team": link(span.team) if span.team else None,
                "bar": Markup(
                    tracegraph.bar_svg(
                        offset,
                        span.duration_seconds * 1e9 / total,
                        colour=colour,
                        error=span.status == "error",
                        label=label,
                    )
                ),
            }
        )
    return {
        "trace": view.model_dump(mode="json"),
        "duration": _ms(view.duration_seconds),
        "rows": rows,
    }
