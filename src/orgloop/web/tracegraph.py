"""Draw the runtime service graph and a trace's waterfall as inline SVG (pure).

The graph reuses ``graph.layout`` (callers left of callees) and the team colours; an observed edge
is as wide as its rate (relative to the busiest edge) and coloured by its error rate, an edge the
catalog does not declare is dashed, and a declared dependency never observed is a dotted grey
line. Every edge links to its page. Every text is escaped here, so callers may wrap the result in
``Markup``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from orgloop.web import graph

ERROR_TONES = (
    (0.05, "#c62828", "5% or more"),
    (0.01, "#f28e2b", "1-5%"),
    (0.0, "#4b5563", "under 1%"),
)
"""Edge colour by error rate, highest threshold first."""
UNUSED = "#b8bec9"


@dataclass(frozen=True)
class Drawn:
    """One edge as drawn: an observed call (``rate``, ``error_rate``) or a declared, unused one."""

    client: str
    server: str
    rate: float = 0.0
    error_rate: float = 0.0
    declared: bool = True
    observed: bool = True
    href: str | None = None
    tip: str = ""


def tone(error_rate: float) -> str:
    return next(colour for limit, colour, _ in ERROR_TONES if error_rate >= limit)


def render_graph(
    nodes: Sequence[graph.Node], edges: Sequence[Drawn], colours: dict[str, str], *, title: str
) -> str:
    drawn = graph.layout(nodes, [graph.Edge(e.client, e.server) for e in edges])
    busiest = max((e.rate for e in edges if e.observed), default=0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph runtime" role="img" '
        f'viewBox="0 0 {drawn.width} {drawn.height}" width="{drawn.width}" height="{drawn.height}">',
        f"<title>{escape(title)}</title>",
    ]
    parts.extend(_edge(drawn, e, busiest) for e in edges)
    parts.extend(_node(p, colours) for p in drawn.nodes)
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(drawn: graph.Layout, edge: Drawn, busiest: float) -> str:
    a, b = drawn.at(edge.client), drawn.at(edge.server)
    if b.column > a.column:
        x1, y1 = float(a.x + graph.NODE_W), a.y + graph.NODE_H / 2
        x2, y2 = float(b.x), b.y + graph.NODE_H / 2
        bend = (x2 - x1) / 2
        d = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    else:
        x1, y1 = a.x + graph.NODE_W / 2, a.y + graph.NODE_H
        x2, y2 = b.x + graph.NODE_W / 2 + 8, b.y + graph.NODE_H
        low = max(y1, y2) + graph.ROW_PITCH / 2
        d = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"
    if edge.observed:
        width = 1.5 + 6.5 * math.sqrt(edge.rate / busiest) if busiest > 0 else 1.5
        colour = tone(edge.error_rate)
        dash = "" if edge.declared else ' stroke-dasharray="8 5"'
        kind = "observed" if edge.declared else "undeclared"
    else:
        width, colour, dash, kind = 1.5, UNUSED, ' stroke-dasharray="2 4"', "unused"
    path = (
        f'<path class="edge edge-{kind}" data-client="{escape(edge.client)}" '
        f'data-server="{escape(edge.server)}" d="{d}" fill="none" stroke="{colour}" '
        f'stroke-width="{width:.1f}"{dash}><title>{escape(edge.tip)}</title></path>'
    )
    return f'<a href="{escape(edge.href)}">{path}</a>' if edge.href else path


def _node(placed: graph.Placed, colours: dict[str, str]) -> str:
    node = placed.node
    fill = colours.get(node.team or "", graph.NO_TEAM)
    radius = 4 if node.kind in ("service", "unknown_service") else 14
    dash = (
        ' stroke-dasharray="4 3" stroke="#111"'
        if node.kind == "unknown_service"
        else ' stroke="#fff"'
    )
    tip = escape(f"{node.label} ({node.kind.replace('_', ' ')}, team {node.team or 'none'})")
    body = (
        f'<g class="node" data-id="{escape(node.id)}"><title>{tip}</title>'
        f'<rect x="{placed.x}" y="{placed.y}" width="{graph.NODE_W}" height="{graph.NODE_H}" '
        f'rx="{radius}" fill="{fill}"{dash}/>'
        f'<text x="{placed.x + graph.NODE_W / 2}" y="{placed.y + graph.NODE_H / 2 + 5}" '
        f'text-anchor="middle" fill="{graph.text_colour(fill)}" font-size="13">'
        f"{escape(graph.short(node.label))}</text></g>"
    )
    return f'<a href="{escape(node.href)}">{body}</a>' if node.href else body


def bar_svg(offset: float, length: float, *, colour: str, error: bool, label: str) -> str:
    """One waterfall row's bar: ``offset`` and ``length`` are fractions of the trace's duration."""
    width = 420
    x = max(0.0, min(offset, 1.0)) * width
    w = max(length * width, 1.5)
    outline = ' stroke="#c62828" stroke-width="2"' if error else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="{width}" height="14" '
        f'viewBox="0 0 {width} 14" role="img"><title>{escape(label)}</title>'
        f'<rect x="{x:.1f}" y="1" width="{min(w, width - x):.1f}" height="12" rx="2" '
        f'fill="{colour}"{outline}/></svg>'
    )


def line_svg(points: Sequence[tuple[str, float | None]], *, title: str, unit: str) -> str:
    """A small line over time (a gap where a value is missing), first and last labels below."""
    left, plot_w, top, plot_h = 56, 520, 12, 120
    width, height = left + plot_w + 16, top + plot_h + 30
    values = [v for _, v in points if v is not None]
    high = max(values, default=0.0) * 1.1 or 1.0
    span = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (i / span if len(points) > 1 else 0.5) * plot_w

    def y(value: float) -> float:
        return top + (high - value) / high * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>"
    ]
    for tick in (0.0, high / 2, high):
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#5d6778">{escape(f"{tick:.3g}{unit}")}</text>'
        )
    run: list[str] = []
    for i, (label, value) in enumerate([*points, ("", None)]):
        if value is None:
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#2f5fa7" stroke-width="2"/>')  # fmt: skip
            elif run:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="#2f5fa7"/>')
            run = []
            continue
        run.append(f"{x(i):.1f},{y(value):.1f}")
        tip = escape(f"{label}: {value:.3g}{unit}")
        out.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="1.5" fill="#2f5fa7"><title>{tip}</title></circle>')  # fmt: skip
    for i in sorted({0, len(points) - 1}) if points else []:
        out.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#5d6778">{escape(points[i][0])}</text>'
        )
    out.append("</svg>")
    return "".join(out)
