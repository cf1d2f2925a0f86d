"""The insights drawings as inline SVG: the team x team coordination heat map and paired bars.

Pure: numbers and labels in, an ``<svg>`` string out. Every text is escaped here, so callers may
wrap the result in ``Markup``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COVERED, UNCOVERED, UNUSED = "#2a7f62", "#c2410c", "#9ca3af"
BEFORE, AFTER = "#9aa7bd", "#4e79a7"


def heat_map(
    teams: Sequence[str], needs: Sequence[Sequence[float]], declared: set[frozenset[str]]
) -> str:
    """One cell per pair of teams: calls either way (darker is more), green where an interaction
    is declared, orange where none is; a grey frame marks a declared pair without calls."""
    n = len(teams)
    cell, label = 18, max([len(t) for t in teams] + [4]) * 7 + 8
    size = label + n * cell + 10
    peak = max((needs[i][j] + needs[j][i] for i in range(n) for j in range(n) if i != j), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" '
        f'aria-label="Coordination needs between teams against declared interactions">'
    ]
    for k, team in enumerate(teams):
        y = label + k * cell + cell * 0.7
        parts.append(
            f'<text x="{label - 6}" y="{y:.1f}" text-anchor="end" font-size="11">'
            f"{escape(team)}</text>"
        )
        x = label + k * cell + cell * 0.7
        parts.append(
            f'<text x="{x:.1f}" y="{label - 6}" font-size="11" '
            f'transform="rotate(-60 {x:.1f} {label - 6})">'
            f"{escape(team)}</text>"
        )
    for i in range(n):
        for j in range(n):
            x, y = label + j * cell, label + i * cell
            if i == j:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="#eef1f5"/>'
                )
                continue
            rate = needs[i][j] + needs[j][i]
            pair = frozenset((teams[i], teams[j]))
            title = f"{teams[i]} ↔ {teams[j]}: {rate:g} calls" + (
                ", interaction declared" if pair in declared else ", no interaction declared"
            )
            if rate > 0:
                strength = 0.25 + 0.75 * math.log1p(rate) / math.log1p(peak)
                colour = COVERED if pair in declared else UNCOVERED
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{colour}" '
                    f'fill-opacity="{strength:.2f}"><title>{escape(title)}</title></rect>'
                )
            elif pair in declared:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 3}" height="{cell - 3}" '
                    'fill="none" '
                    f'stroke="{UNUSED}" stroke-width="2"><title>{escape(title)}</title></rect>'
                )
    parts.append("</svg>")
    return "".join(parts)


def paired_bars(rows: Sequence[tuple[str, float, float]], *, unit: str = "") -> str:
    """Today (grey) and the scenario (blue) for each measure, each row scaled to its own maximum."""
    width, bar, gap, label = 520, 14, 12, 170
    height = len(rows) * (2 * bar + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Today against the scenario">'
    ]
    for k, (name, before, after) in enumerate(rows):
        y = 8 + k * (2 * bar + gap)
        peak = max(before, after, 1e-9)
        parts.append(
            f'<text x="{label - 8}" y="{y + bar + 4}" text-anchor="end" font-size="12">'
            f"{escape(name)}</text>"
        )
        for m, (value, colour) in enumerate(((before, BEFORE), (after, AFTER))):
            length = (width - label - 70) * value / peak
            top = y + m * bar
            parts.append(
                f'<rect x="{label}" y="{top}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label + length + 4:.1f}" y="{top + bar - 4}" font-size="11">'
                f"{value:g}{escape(unit)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
