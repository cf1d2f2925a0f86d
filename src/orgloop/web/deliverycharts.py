"""Charts of the DORA and flow pages as inline SVG: a weekly trend against the 2023 levels, and
stacked active and waiting time per week (pure: numbers in, an escaped ``<svg>`` string out)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from orgloop.web.charts import nice_ticks

LINE, ACTIVE, WAITING = "#2f5fa7", "#2e7d32", "#f28e2b"
LEVEL_TONE = {"elite": "#2e7d32", "high": "#4e79a7", "medium": "#b7791f", "low": "#c62828"}


def trend_svg(
    weeks: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str,
    levels: Sequence[tuple[str, float]],
) -> str:
    """One value per week as a line (gaps where a week has none), with each level's threshold
    drawn as a dashed line labelled with the level it bounds."""
    left, plot_w, top, plot_h = 56, 360, 22, 120
    width, height = left + plot_w + 70, top + plot_h + 30
    values = [v for _, v in weeks if v is not None]
    high = max([*values, *(t for _, t in levels if t <= 2 * max(values or [1.0]))], default=1.0)
    ticks = _ticks(high or 1.0)
    top_value = ticks[-1]
    span = max(len(weeks) - 1, 1)

    def x(i: int) -> float:
        return left + i / span * plot_w

    def y(value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    out = [
        _open("trend", width, height, title),
        f'<text x="{left}" y="14" font-size="12" font-weight="600">{escape(title)}</text>',
    ]
    for tick in ticks:
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#5d6778">{escape(_number(tick))}</text>'
        )
    for level, threshold in levels:
        if threshold <= top_value:
            out.append(
                f'<line class="level {level}" x1="{left}" y1="{y(threshold):.1f}" '
                f'x2="{left + plot_w}" y2="{y(threshold):.1f}" stroke="{LEVEL_TONE[level]}" '
                f'stroke-dasharray="5 3"/><text x="{left + plot_w + 4}" '
                f'y="{y(threshold) + 4:.1f}" font-size="10" fill="{LEVEL_TONE[level]}">'
                f"{escape(level)}</text>"
            )
    run: list[str] = []
    for i, (label, value) in enumerate([*weeks, ("", None)]):
        if value is None:
            if len(run) > 1:
                out.append(
                    f'<polyline class="line" points="{" ".join(run)}" fill="none" '
                    f'stroke="{LINE}" stroke-width="2"/>'
                )
            run = []
            continue
        run.append(f"{x(i):.1f},{y(value):.1f}")
        tip = escape(f"week of {label}: {_number(value)} {unit}")
        out.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{LINE}">'
            f"<title>{tip}</title></circle>"
        )
    for i in sorted({0, len(weeks) - 1}) if weeks else []:
        out.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="10" text-anchor="middle" '
            f'fill="#5d6778">{escape(weeks[i][0])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def stacked_svg(weeks: Sequence[tuple[str, float, float]], *, title: str) -> str:
    """Active (below) and waiting (above) days of the items finished each week."""
    left, top, plot_h, bar = 44, 30, 150, 22
    width, height = max(left + (bar + 6) * len(weeks) + 20, 280), top + plot_h + 30
    most = max([1.0, *(a + w for _, a, w in weeks)])
    ticks = _ticks(most)
    top_value = ticks[-1]

    def y(value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    out = [
        _open("stacked", width, height, title),
        f'<rect x="{left}" y="6" width="12" height="12" fill="{ACTIVE}"/>'
        f'<text x="{left + 17}" y="16" font-size="12">active</text>'
        f'<rect x="{left + 70}" y="6" width="12" height="12" fill="{WAITING}"/>'
        f'<text x="{left + 87}" y="16" font-size="12">waiting</text>',
    ]
    for tick in ticks:
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - 10}" y2="{y(tick):.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#5d6778">{escape(_number(tick))} d</text>'
        )
    for i, (label, active, waiting) in enumerate(weeks):
        bx = left + 6 + i * (bar + 6)
        tip = escape(f"week of {label}: {_number(active)} d active, {_number(waiting)} d waiting")
        out.append(
            f'<g class="week"><title>{tip}</title>'
            f'<rect class="active" x="{bx}" y="{y(active):.1f}" width="{bar}" '
            f'height="{y(0) - y(active):.1f}" fill="{ACTIVE}"/>'
            f'<rect class="waiting" x="{bx}" y="{y(active + waiting):.1f}" width="{bar}" '
            f'height="{y(active) - y(active + waiting):.1f}" fill="{WAITING}"/></g>'
        )
    for i in sorted({0, len(weeks) - 1}) if weeks else []:
        out.append(
            f'<text x="{left + 6 + i * (bar + 6) + bar / 2:.1f}" y="{height - 8}" '
            f'font-size="10" text-anchor="middle" fill="#5d6778">{escape(weeks[i][0])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _ticks(high: float) -> list[float]:
    """Round ticks from 0 whose last one is at or above ``high`` (nothing drawn off the top)."""
    ticks = nice_ticks(0.0, high, 4)
    while ticks[-1] < high:
        ticks.append(round(2 * ticks[-1] - ticks[-2], 12))
    return ticks


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _open(kind: str, width: float, height: float, title: str) -> str:
    return (
        f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="system-ui, sans-serif"><title>{escape(title)}</title>'
    )
