"""Small charts drawn as inline SVG: a forest plot of lifts, a line with a band, grouped bars.

Pure: numbers and labels in, an ``<svg>`` string out.  Every text is escaped here, so callers may
wrap the result in ``Markup``.  Lifts are relative (``0.05`` is +5%) and shown as percentages.

Each chart is drawn about as wide as a card of the dashboard on a laptop screen (``WIDTH``) and
scales with its ``viewBox`` to the card's width (``orgloop.css``), so its text stays near the
size it was drawn at.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

TONES = {"better": "#2e7d32", "worse": "#c62828", "neutral": "#6b7280"}
"""Significantly good, significantly bad (the metric's direction counted), and not significant."""

STARTED, DECIDED = "#4e79a7", "#f28e2b"

WIDTH = 1000
"""Drawn width of a chart: a card's inner width on a 1366-px screen is about 1,070 px."""


@dataclass(frozen=True)
class Interval:
    """One row of a forest plot: a lift with its confidence interval (None when not computed)."""

    label: str
    lift: float | None
    low: float | None
    high: float | None
    tone: str = "neutral"


@dataclass(frozen=True)
class Point:
    """One day of a cumulative lift: the estimate and its interval."""

    label: str
    lift: float
    low: float
    high: float


def pct(value: float) -> str:
    return f"{value * 100:+.1f}%" if value else "0%"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (at most about ``count`` of them)."""
    if not high - low > 1e-9 * max(1.0, abs(low), abs(high)):
        high = low + 1.0  # empty, or too narrow to label: drawn one unit tall
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step)
    last = math.floor(high / step + 1e-9)
    # Each tick from its index, not by adding steps up: no drift, so they stay evenly spaced.
    return [round((first + index) * step, 12) or 0.0 for index in range(last - first + 1)]


def _domain(values: Sequence[float]) -> tuple[float, float]:
    """The range to draw: the values and zero, padded a little, never empty."""
    low, high = min([0.0, *values]), max([0.0, *values])
    pad = (high - low) * 0.08 or 0.05
    return low - pad, high + pad


def forest_svg(rows: Sequence[Interval], *, title: str) -> str:
    left, right, pitch, top = 230, 90, 30, 28
    plot = WIDTH - left - right
    width, height = left + plot + right, top + pitch * len(rows) + 30
    values = [v for r in rows for v in (r.low, r.high, r.lift) if v is not None]
    low, high = _domain(values)
    ticks = [t for t in nice_ticks(low, high) if low <= t <= high]

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot

    out = [_open("forest", width, height, title)]
    for tick in ticks:
        out.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 24}" '
            f'stroke="#e5e7eb"/><text x="{x(tick):.1f}" y="{height - 8}" font-size="11" '
            f'text-anchor="middle" fill="#5d6778">{escape(pct(tick))}</text>'
        )
    out.append(
        f'<line class="zero" x1="{x(0):.1f}" y1="{top - 10}" x2="{x(0):.1f}" '
        f'y2="{height - 24}" stroke="#1d2433" stroke-dasharray="4 3"/>'
    )
    for i, row in enumerate(rows):
        out.append(_forest_row(row, top + pitch * i + pitch / 2, x, left + plot))
    out.append("</svg>")
    return "".join(out)


def _forest_row(row: Interval, y: float, x: Callable[[float], float], text_x: int) -> str:
    tone = TONES.get(row.tone, TONES["neutral"])
    label = f'<text x="8" y="{y + 4:.1f}" font-size="13" fill="#1d2433">{escape(row.label)}</text>'
    if row.lift is None:
        return f'<g class="row">{label}<text x="{text_x}" y="{y + 4:.1f}" font-size="12" fill="#5d6778">no result</text></g>'  # fmt: skip
    parts = [f'<g class="row {escape(row.tone)}"><title>{escape(_tip(row))}</title>', label]
    if row.low is not None and row.high is not None:
        parts.append(
            f'<line class="ci" x1="{x(row.low):.1f}" y1="{y:.1f}" x2="{x(row.high):.1f}" '
            f'y2="{y:.1f}" stroke="{tone}" stroke-width="3" stroke-linecap="round"/>'
        )
    parts.append(
        f'<circle class="point" cx="{x(row.lift):.1f}" cy="{y:.1f}" r="5.5" fill="{tone}"/>'
        f'<text x="{text_x + 8}" y="{y + 4:.1f}" font-size="12" fill="{tone}">'
        f"{escape(pct(row.lift))}</text></g>"
    )
    return "".join(parts)


def _tip(row: Interval) -> str:
    interval = (
        f" [{pct(row.low)}, {pct(row.high)}]"
        if row.low is not None and row.high is not None
        else ""
    )
    return f"{row.label}: {pct(row.lift or 0.0)}{interval}"


def band_svg(points: Sequence[Point], *, title: str) -> str:
    """The estimate over time as a line, its interval as a shaded band, and the zero line."""
    left, top, plot_h = 60, 14, 200
    plot_w = WIDTH - left - 20
    width, height = WIDTH, top + plot_h + 34
    low, high = _domain([v for p in points for v in (p.low, p.high)])
    span = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (i / span if len(points) > 1 else 0.5) * plot_w

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    out = [_open("band", width, height, title)]
    for tick in (t for t in nice_ticks(low, high, 4) if low <= t <= high):
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#5d6778">{escape(pct(tick))}</text>'
        )
    upper = [f"{x(i):.1f},{y(p.high):.1f}" for i, p in enumerate(points)]
    lower = [f"{x(i):.1f},{y(p.low):.1f}" for i, p in reversed(list(enumerate(points)))]
    out.append(f'<polygon class="band" points="{" ".join(upper + lower)}" fill="#4e79a7" fill-opacity="0.18"/>')  # fmt: skip
    out.append(
        f'<line class="zero" x1="{left}" y1="{y(0):.1f}" x2="{left + plot_w}" y2="{y(0):.1f}" '
        f'stroke="#1d2433" stroke-dasharray="4 3"/>'
    )
    line = " ".join(f"{x(i):.1f},{y(p.lift):.1f}" for i, p in enumerate(points))
    out.append(f'<polyline class="line" points="{line}" fill="none" stroke="#2f5fa7" stroke-width="2"/>')  # fmt: skip
    for i, p in enumerate(points):
        tip = escape(f"{p.label}: {pct(p.lift)} [{pct(p.low)}, {pct(p.high)}]")
        # Each day's interval as a thin bar too: a lone point still shows its uncertainty.
        out.append(
            f'<line class="ci" x1="{x(i):.1f}" y1="{y(p.low):.1f}" x2="{x(i):.1f}" '
            f'y2="{y(p.high):.1f}" stroke="#2f5fa7" stroke-opacity="0.5" stroke-width="2"/>'
        )
        out.append(f'<circle cx="{x(i):.1f}" cy="{y(p.lift):.1f}" r="3" fill="#2f5fa7"><title>{tip}</title></circle>')  # fmt: skip
    for i in sorted({0, len(points) - 1}):
        # The last day's label ends at its point: centred, it would run past the right edge.
        anchor = "end" if i and i == len(points) - 1 else "middle"
        out.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="11" text-anchor="{anchor}" '
            f'fill="#5d6778">{escape(points[i].label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bars_svg(months: Sequence[tuple[str, int, int]], *, title: str) -> str:
    """Started and decided experiments per month, side by side, with a legend."""
    left, top, plot_h, group = 40, 36, 150, 64
    # As wide as the other charts however few the months; wider when there are many.
    width, height = max(left + group * len(months) + 20, WIDTH), top + plot_h + 30
    most = max([1, *(max(s, d) for _, s, d in months)])
    ticks = [t for t in nice_ticks(0, most, 4) if t == int(t)]
    top_value = max(ticks[-1], most)

    def y(value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    out = [_open("bars", width, height, title), _legend(left)]
    for tick in ticks:
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - 10}" y2="{y(tick):.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#5d6778">{int(tick)}</text>'
        )
    for i, (month, started, decided) in enumerate(months):
        gx = left + i * group + 10
        for j, (value, colour, what) in enumerate(
            [(started, STARTED, "started"), (decided, DECIDED, "decided")]
        ):
            tip = escape(f"{month}: {value} {what}")
            out.append(
                f'<rect class="bar {what}" x="{gx + j * 22}" y="{y(value):.1f}" width="20" '
                f'height="{y(0) - y(value):.1f}" fill="{colour}"><title>{tip}</title></rect>'
                f'<text x="{gx + j * 22 + 10}" y="{y(value) - 3:.1f}" font-size="10" '
                f'text-anchor="middle" fill="#5d6778">{value}</text>'
            )
        out.append(
            f'<text x="{gx + 21}" y="{height - 10}" font-size="11" text-anchor="middle" '
            f'fill="#5d6778">{escape(month)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _legend(left: int) -> str:
    return (
        f'<rect x="{left}" y="6" width="12" height="12" fill="{STARTED}"/>'
        f'<text x="{left + 17}" y="16" font-size="12">started</text>'
        f'<rect x="{left + 80}" y="6" width="12" height="12" fill="{DECIDED}"/>'
        f'<text x="{left + 97}" y="16" font-size="12">decided</text>'
    )


def _open(kind: str, width: float, height: float, title: str) -> str:
    return (
        f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="system-ui, sans-serif"><title>{escape(title)}</title>'
    )
