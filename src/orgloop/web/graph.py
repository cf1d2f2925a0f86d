"""Lay out a small directed graph of services in columns and draw it as inline SVG.

Pure: nodes and edges in, positions and an SVG string out.  Callers go left to right (a consumer
sits left of what it calls), so a reader follows a request across the page.  Cycles are drawn
but ignored for layering, so a distributed-monolith loop still lays out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

NODE_W = 150
NODE_H = 34
COLUMN_PITCH = 220
ROW_PITCH = 52
MARGIN = 16
MAX_LABEL = 19

PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6",
)  # fmt: skip
"""Colours for teams, assigned in sorted team order; a palette chosen to stay distinguishable."""

NO_TEAM = "#9a9a9a"


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    team: str | None = None
    href: str | None = None
    kind: str = "service"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str = "calls"
    """``calls`` (consumes an API the target provides) or ``depends`` (declared dependency)."""


@dataclass(frozen=True)
class Placed:
    node: Node
    column: int
    row: int

    @property
    def x(self) -> int:
        return MARGIN + self.column * COLUMN_PITCH

    @property
    def y(self) -> int:
        return MARGIN + self.row * ROW_PITCH


@dataclass(frozen=True)
class Layout:
    nodes: tuple[Placed, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int

    def at(self, node_id: str) -> Placed:
        return next(p for p in self.nodes if p.node.id == node_id)


def team_colours(teams: Iterable[str | None]) -> dict[str, str]:
    """A stable colour per team: the same set of teams always gets the same colours."""
    named = sorted({t for t in teams if t})
    return {team: PALETTE[i % len(PALETTE)] for i, team in enumerate(named)}


def layout(nodes: Sequence[Node], edges: Sequence[Edge]) -> Layout:
    """Columns by longest path from the callers; rows ordered to keep edges short."""
    unique = {n.id: n for n in sorted(nodes, key=lambda n: n.id)}
    kept = tuple(
        sorted({e for e in edges if e.source in unique and e.target in unique and e.source != e.target},
               key=lambda e: (e.source, e.target, e.kind))
    )  # fmt: skip
    columns = _columns(list(unique), _acyclic(list(unique), kept))
    rows = _rows(columns, kept, unique)
    placed = tuple(
        Placed(unique[i], columns[i], rows[i]) for i in sorted(unique, key=lambda i: (columns[i], rows[i]))
    )  # fmt: skip
    width = 2 * MARGIN + NODE_W + COLUMN_PITCH * max((p.column for p in placed), default=0)
    height = 2 * MARGIN + NODE_H + ROW_PITCH * max((p.row for p in placed), default=0)
    return Layout(placed, kept, width if placed else 2 * MARGIN, height if placed else 2 * MARGIN)


def _acyclic(ids: list[str], edges: Sequence[Edge]) -> list[tuple[str, str]]:
    """The edges minus the back edges a depth-first search finds, in a deterministic order."""
    out: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        out[e.source].append(e.target)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    kept: list[tuple[str, str]] = []
    for root in ids:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, index = stack.pop()
            targets = out[node]
            if index == len(targets):
                state[node] = 2
                continue
            stack.append((node, index + 1))
            target = targets[index]
            if state.get(target) == 1:
                continue  # a back edge closes a cycle: drawn, not used for columns
            kept.append((node, target))
            if target not in state:
                state[target] = 1
                stack.append((target, 0))
    return kept


def _columns(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    incoming: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        incoming[target].append(source)
    column: dict[str, int] = {}

    def depth(node: str) -> int:
        # Iterative longest path; the edges are acyclic so this terminates.
        pending = [node]
        while pending:
            current = pending[-1]
            missing = [s for s in incoming[current] if s not in column]
            if missing:
                pending.extend(missing)
                continue
            pending.pop()
            column[current] = 1 + max((column[s] for s in incoming[current]), default=-1)
        return column[node]

    for node in ids:
        depth(node)
    return column


def _rows(columns: dict[str, int], edges: Sequence[Edge], nodes: dict[str, Node]) -> dict[str, int]:
    """Order each column by the mean row of its neighbours in the column before (barycentre)."""
    by_column: dict[int, list[str]] = defaultdict(list)
    for node, col in columns.items():
        by_column[col].append(node)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        neighbours[e.target].append(e.source)
        neighbours[e.source].append(e.target)
    row: dict[str, int] = {}
    for col in sorted(by_column):
        members = sorted(by_column[col], key=lambda n: (nodes[n].team or "~", nodes[n].label, n))
        keys = {n: _barycentre(neighbours[n], row, fallback=i) for i, n in enumerate(members)}
        for index, node in enumerate(sorted(members, key=keys.__getitem__)):
            row[node] = index
    return row


def _barycentre(neighbours: list[str], row: dict[str, int], *, fallback: int) -> tuple[float, int]:
    placed = [row[m] for m in neighbours if m in row]
    return (sum(placed) / len(placed) if placed else float(fallback), fallback)


def text_colour(fill: str) -> str:
    """Dark text on light fills, white on dark ones (relative luminance, WCAG formula)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#111111" if luminance > 0.3 else "#ffffff"


def short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def render_svg(
    drawn: Layout,
    colours: dict[str, str],
    *,
    title: str,
    focus: str | None = None,
) -> str:
    """The layout as a standalone ``<svg>`` element; every text is escaped here."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" '
        f'viewBox="0 0 {drawn.width} {drawn.height}" width="{drawn.width}" height="{drawn.height}">',
        f"<title>{escape(title)}</title>",
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
        "</marker></defs>",
    ]
    parts.extend(_edge(drawn, e) for e in drawn.edges)
    parts.extend(_node(p, colours, focus) for p in drawn.nodes)
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(drawn: Layout, edge: Edge) -> str:
    a, b = drawn.at(edge.source), drawn.at(edge.target)
    dash = ' stroke-dasharray="5 4"' if edge.kind == "depends" else ""
    if b.column > a.column:
        x1, y1 = float(a.x + NODE_W), a.y + NODE_H / 2
        x2, y2 = float(b.x), b.y + NODE_H / 2
        bend = (x2 - x1) / 2
        d = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    else:
        # Against the flow (a cycle) or within one column: arc below both nodes.
        x1, y1 = a.x + NODE_W / 2, a.y + NODE_H
        x2, y2 = b.x + NODE_W / 2 + 8, b.y + NODE_H
        low = max(y1, y2) + ROW_PITCH / 2
        d = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"
    label = escape(f"{edge.source} → {edge.target} ({edge.kind})")
    return (
        f'<path class="edge edge-{escape(edge.kind)}" d="{d}" fill="none" stroke="#555" '
        f'stroke-width="1.4"{dash} marker-end="url(#arrow)"><title>{label}</title></path>'
    )


def _node(placed: Placed, colours: dict[str, str], focus: str | None) -> str:
    node = placed.node
    fill = colours.get(node.team or "", NO_TEAM)
    stroke = ' stroke="#111" stroke-width="3"' if node.id == focus else ' stroke="#fff"'
    radius = 4 if node.kind == "service" else 14
    tip = escape(f"{node.label} ({node.kind}, team {node.team or 'none'})")
    body = (
        f'<g class="node" data-id="{escape(node.id)}"><title>{tip}</title>'
        f'<rect x="{placed.x}" y="{placed.y}" width="{NODE_W}" height="{NODE_H}" rx="{radius}" '
        f'fill="{fill}"{stroke}/>'
        f'<text x="{placed.x + NODE_W / 2}" y="{placed.y + NODE_H / 2 + 5}" text-anchor="middle" '
        f'fill="{text_colour(fill)}" font-size="13">{escape(short(node.label))}</text></g>'
    )
    if node.href is None:
        return body
    return f'<a href="{escape(node.href)}">{body}</a>'
