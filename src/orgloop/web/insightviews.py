"""The insights pages (``/insights/...``) and their JSON twins: Conway alignment with its heat
map, distributed-monolith signals, team shape, learning velocity and the what-if page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from pydantic import ValidationError

from orgloop.insights.models import Thresholds
from orgloop.insights.service import InsightsService
from orgloop.kernel import yamlguard
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import InvalidInput
from orgloop.web.insightcharts import heat_map, paired_bars
from orgloop.web.serving import add_page

SUBPAGES = [
    ("/insights/conway", "Conway alignment"),
    ("/insights/monolith", "Monolith signals"),
    ("/insights/teams", "Team shape"),
    ("/insights/velocity", "Learning velocity"),
    ("/insights/whatif", "What if"),
    ("/insights/dora", "DORA"),
    ("/insights/flow", "Flow"),
]
SIMULATED = (
    ("mean_flow_days", "mean flow days"),
    ("p85_flow_days", "p85 flow days"),
    ("handoffs_per_item", "hand-offs per item"),
)
EXAMPLE = """# Move a service to another team, then compare (docs/insights.md).
changes:
  - move_service: my-service
    to: other-team
"""


def build_router(*, insights: InsightsService) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    pages = {
        "/insights": ("insights.html", overview),
        "/insights/conway": ("insights_conway.html", conway_page),
        "/insights/monolith": ("insights_monolith.html", monolith_page),
        "/insights/teams": ("insights_teams.html", teams_page),
        "/insights/velocity": ("insights_velocity.html", velocity_page),
        "/insights/whatif": ("insights_whatif.html", whatif_page),
    }
    for path, (template, build) in pages.items():
        add_page(router, path, template, _bound(build, insights))
    return router


def _bound(build: Any, insights: InsightsService) -> Any:
    def page(request: Request, _principal: Principal) -> dict[str, Any]:
        data: dict[str, Any] = build(insights, dict(request.query_params))
        return {"subpages": SUBPAGES, **data}

    return page


def _teams(insights: InsightsService) -> list[dict[str, str]]:
    org, _, _ = insights.organisation()
    return [{"name": t, "title": t} for t in sorted(set(org.teams) | set(org.owner.values()))]


def _since(query: dict[str, str]) -> datetime | None:
    if not query.get("since"):
        return None
    try:
        since = datetime.fromisoformat(query["since"])
    except ValueError as exc:
        raise InvalidInput.at("since", f"not a date: {exc}") from None
    return since.replace(tzinfo=since.tzinfo or UTC)


def overview(insights: InsightsService, _query: dict[str, str]) -> dict[str, Any]:
    conway = insights.conway()
    monolith = insights.monolith()
    teams = insights.teams()
    severities = {
        s: sum(1 for x in monolith.signals if x.severity == s) for s in ("high", "medium", "low")
    }
    return {
        "congruence": conway.congruence,
        "cross_team_share": conway.cross_team_share,
        "uncovered": len(conway.uncovered),
        "source": conway.source,
        "signals": severities,
        "cannot_ship_alone": [t.team for t in teams.teams if not t.can_ship_alone],
        "n_tier": [t.team for t in teams.teams if t.n_tier],
        "oversized": [t.team for t in teams.teams if t.over_size],
    }


def conway_page(insights: InsightsService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    report = insights.conway(team=team, since=_since(query)).model_dump(mode="json")
    matrix = report["matrix"]
    declared = {frozenset(d[:2]) for d in matrix["declared"]}
    drawing = heat_map(matrix["teams"], matrix["needs"], declared) if matrix["teams"] else None
    return {
        "report": report,
        "team": team,
        "teams": _teams(insights),
        "heat_map": Markup(drawing) if drawing else None,  # escaped by insightcharts
    }


def monolith_page(insights: InsightsService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    given = {k: v for k, v in query.items() if k in Thresholds.model_fields and v != ""}
    try:
        thresholds = Thresholds.model_validate(given)
    except ValidationError as exc:
        errors = [{"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput(
            f"{errors[0]['path']}: {errors[0]['message']}", details={"errors": errors}
        ) from None
    report = insights.monolith(team=team, since=_since(query), thresholds=thresholds)
    fields = [
        {"name": name, "value": getattr(thresholds, name), "about": info.description}
        for name, info in Thresholds.model_fields.items()
    ]
    return {"report": report.model_dump(mode="json"), "team": team, "teams": _teams(insights),
            "thresholds": fields}  # fmt: skip


def teams_page(insights: InsightsService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    report = insights.teams(team=team)
    return {"report": report.model_dump(mode="json"), "team": team, "teams": _teams(insights)}


def velocity_page(insights: InsightsService, query: dict[str, str]) -> dict[str, Any]:
    team = query.get("team") or None
    report = insights.velocity(team=team, since=_since(query))
    return {"report": report.model_dump(mode="json"), "team": team, "teams": _teams(insights),
            "since": query.get("since", "")}  # fmt: skip


def whatif_page(insights: InsightsService, query: dict[str, str]) -> dict[str, Any]:
    text = query.get("scenario", "")
    if not text.strip():
        return {"scenario": EXAMPLE, "result": None, "bars": None}
    try:
        body = yamlguard.load(text)
    except yamlguard.YamlRefused as exc:
        raise InvalidInput.at("scenario", f"not YAML that orgloop reads: {exc}") from None
    result = insights.what_if(body, source="scenario")
    before, after = result["before"], result["after"]
    rows = [
        ("teams", float(before["teams"]), float(after["teams"])),
        ("uncovered needs", float(before["uncovered_needs"]), float(after["uncovered_needs"])),
        (
            "cross-team share",
            float(before["cross_team_share"] or 0),
            float(after["cross_team_share"] or 0),
        ),
        ("lockstep pairs", float(before["lockstep_pairs"]), float(after["lockstep_pairs"])),
    ]
    if before["simulation"] and after["simulation"]:
        rows += [
            (label, float(before["simulation"][key]), float(after["simulation"][key]))
            for key, label in SIMULATED
        ]
    return {"scenario": text, "result": result, "bars": Markup(paired_bars(rows))}
