"""The DORA and flow pages (``/insights/dora``, ``/insights/flow``) and their JSON twins.

DORA per team with a weekly trend of each key against the 2023 levels; flow per team with the
active and waiting time of the items finished each week, stacked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup

from orgloop.insights.delivery.models import BANDS_SOURCE, LEVEL_LINES, Band
from orgloop.insights.delivery.service import DeliveryService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import InvalidInput
from orgloop.web.deliverycharts import stacked_svg, trend_svg
from orgloop.web.serving import add_page


def build_router(*, delivery: DeliveryService) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def dora(request: Request, _principal: Principal) -> dict[str, Any]:
        return dora_page(delivery, dict(request.query_params))

    def flow(request: Request, _principal: Principal) -> dict[str, Any]:
        return flow_page(delivery, dict(request.query_params))

    add_page(router, "/insights/dora", "dora.html", dora)
    add_page(router, "/insights/flow", "flow.html", flow)
    return router


def _window(query: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    try:
        since = datetime.fromisoformat(query["since"]) if query.get("since") else None
        until = datetime.fromisoformat(query["until"]) if query.get("until") else None
    except ValueError as exc:
        raise InvalidInput.at("since", f"not a date: {exc}") from exc
    since = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    until = until.replace(tzinfo=until.tzinfo or UTC) if until else None
    return since, until  # what is left out, the service fills from its own clock and window


def _teams(delivery: DeliveryService) -> list[dict[str, str]]:
    return [{"name": t, "title": t} for t in sorted(delivery.directory().teams)]


def dora_page(delivery: DeliveryService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    since, until = _window(query)
    report = delivery.dora(team=team, since=since, until=until, weekly=team is not None)
    charts: list[Markup] = []
    if team and report.groups:
        weeks = report.groups[0].weeks
        days = [w.week_start.isoformat() for w in weeks]
        series: list[tuple[str, str, list[float | None], list[tuple[Band, float]]]] = [
            (
                "Deployments per week",
                "deploys",
                [float(w.deployments) for w in weeks],
                LEVEL_LINES["deploys_per_week"],
            ),
            (
                "Lead time for changes (hours)",
                "h",
                [w.lead_time_median_hours for w in weeks],
                LEVEL_LINES["lead_time_hours"],
            ),
            (
                "Change failure rate (%)",
                "%",
                [
                    None if w.change_failure_rate is None else 100 * w.change_failure_rate
                    for w in weeks
                ],
                LEVEL_LINES["change_failure_rate_pct"],
            ),
            (
                "Time to restore (hours)",
                "h",
                [w.time_to_restore_median_hours for w in weeks],
                LEVEL_LINES["time_to_restore_hours"],
            ),
        ]
        charts = [
            Markup(
                trend_svg(
                    list(zip(days, values, strict=True)), title=title, unit=unit, levels=levels
                )
            )
            for title, unit, values, levels in series
        ]
    return {
        "team": team,
        "teams": _teams(delivery),
        "report": report.model_dump(mode="json"),
        "charts": charts,
        "source": BANDS_SOURCE,
    }


def flow_page(delivery: DeliveryService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    since, until = _window(query)
    report = delivery.flow(team=team, since=since, until=until, weekly=True)
    totals: dict[str, list[float]] = {}
    for group in report.teams:
        for w in group.weeks:
            day = w.week_start.isoformat()
            active, waiting = totals.get(day, [0.0, 0.0])
            totals[day] = [active + w.active_days, waiting + w.waiting_days]
    weeks = [(day, a, w) for day, (a, w) in totals.items()]
    who = team or "all teams"
    chart = Markup(stacked_svg(weeks, title=f"Active and waiting days per week, {who}"))
    return {
        "team": team,
        "teams": _teams(delivery),
        "report": report.model_dump(mode="json"),
        "chart": chart if weeks else None,
    }
