"""Data of the experiments pages: the list, one experiment's results, the learning log, velocity."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from orgloop.experiments.models import Experiment
from orgloop.experiments.service import ExperimentService
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import NotFound, OrgloopError
from orgloop.web import charts
from orgloop.web.cumulative import series
from orgloop.web.links import link
from orgloop.web.reader import Reader

_PAGE = 200
STATUSES = ("draft", "running", "stopped", "decided")


def experiments_index(
    reader: Reader, experiments: ExperimentService, flags: FlagService, query: dict[str, str]
) -> dict[str, Any]:
    team = query.get("team") or None
    status = query.get("status") if query.get("status") in STATUSES else None
    page = experiments.list_experiments(team=team, status=status, limit=_PAGE)
    owners = reader.summaries({e.owner for e in page.items})
    existing = {k for k in {e.flag_key for e in page.items} if _flag_exists(flags, k)}
    return {
        "team": team,
        "status": status,
        "statuses": list(STATUSES),
        "teams": team_options(reader),
        "total": page.total,
        "experiments": [
            {"key": e.key, "href": f"/experiments/{e.key}", "hypothesis": e.hypothesis,
             "owner": link(e.owner, owners.get(e.owner)), "status": e.status,
             "flag": flag_link(e.flag_key, e.flag_key in existing),
             "started": _day(e.started_at), "decision": e.decision}
            for e in page.items
        ],
    }  # fmt: skip


def all_experiments(
    experiments: ExperimentService, *, team: str | None = None, status: str | None = None
) -> list[Experiment]:
    """Every experiment (or one team's, or in one status), paging through the service."""
    found: list[Experiment] = []
    while True:
        page = experiments.list_experiments(
            team=team, status=status, limit=_PAGE, offset=len(found)
        )
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found


def team_options(reader: Reader) -> list[dict[str, str]]:
    return [
        {"name": t.ref.split("/")[-1], "title": t.title or t.ref.split("/")[-1]}
        for t in reader.all("Group", type="team")
    ]


def flag_link(key: str, exists: bool) -> dict[str, str | None]:
    """An experiment's flag, linked only when the flag exists (it may not be created yet, or
    have been deleted since)."""
    return {"key": key, "href": f"/flags/{key}" if exists else None}


def _flag_exists(flags: FlagService, key: str) -> bool:
    try:
        flags.get_flag(key)
    except NotFound:
        return False
    return True


def experiment_page(
    reader: Reader,
    experiments: ExperimentService,
    flags: FlagService,
    key: str,
    principal: Principal,
) -> dict[str, Any]:
    experiment = experiments.get(key)
    report, note = _report(experiments, experiment, principal)
    directions = {
        m["definition"]["key"]: m["definition"].get("direction", "increase")
        for m in experiment.metrics
    }
    rows = [{**r, "direction": directions.get(r["metric"], "increase")} for r in _rows(report)]
    trend = series(experiments, experiment, actor=principal, report=report)
    owner = reader.summaries([experiment.owner]).get(experiment.owner)
    return {
        "experiment": {
            **_about(experiment),
            "flag": flag_link(experiment.flag_key, _flag_exists(flags, experiment.flag_key)),
        },
        "owner": link(experiment.owner, owner),
        "report": _summary(report),
        "note": note,
        "rows": rows,
        "guardrails": [
            {**r, "state": guardrail_state(r)} for r in rows if r["role"] == "guardrail"
        ],
        "forest": _forest(rows, several=len({r["variant"] for r in rows}) > 1),
        "cumulative": {**trend, "svg": _band(trend)},
        "alerts": [a.model_dump(mode="json") for a in experiments.alerts(key)],
    }


def guardrail_state(row: dict[str, Any]) -> str:
    """A guardrail's state: breached (significantly worse), holding, or no data yet."""
    if row.get("verdict") == "worse":
        return "breached"
    return "no data yet" if row.get("lift") is None else "holding"


def _report(
    experiments: ExperimentService, experiment: Experiment, principal: Principal
) -> tuple[dict[str, Any] | None, str | None]:
    if experiment.status == "draft":
        return None, "The experiment has not started: there is nothing to analyse yet."
    try:
        return experiments.analyse(experiment.key, actor=principal), None
    except OrgloopError as exc:
        if experiment.last_analysis:
            return experiment.last_analysis, f"Showing the last recorded analysis ({exc.message})."
        return None, f"No analysis: {exc.message}"


def _about(experiment: Experiment) -> dict[str, Any]:
    return {
        "key": experiment.key, "hypothesis": experiment.hypothesis, "status": experiment.status,
        "variations": [v.model_dump() for v in experiment.variations],
        "control": experiment.control, "method": experiment.method, "alpha": experiment.alpha,
        "correction": experiment.correction, "cuped": experiment.cuped,
        "planned_sample_size": experiment.planned_sample_size,
        "started": _day(experiment.started_at), "stopped": _day(experiment.stopped_at),
        "decision": experiment.decision, "decision_reason": experiment.decision_reason,
    }  # fmt: skip


def _summary(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is None:
        return None
    keep = ("units", "srm_p_value", "srm_mismatch", "recommendation", "reason", "computed_at")
    return {k: report.get(k) for k in keep} | {
        "units_in_several_variants": report.get("units_in_several_variants", 0)
    }


def _rows(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((report or {}).get("rows", []))


def _forest(rows: list[dict[str, Any]], *, several: bool) -> Markup | None:
    if not rows:
        return None
    intervals = [
        charts.Interval(
            label=f"{r['metric']} · {r['variant']}" if several else str(r["metric"]),
            lift=r["lift"], low=r["lift_ci_low"], high=r["lift_ci_high"],
            tone={"better": "better", "worse": "worse"}.get(r["verdict"], "neutral"),
        )
        for r in rows
    ]  # fmt: skip
    return Markup(charts.forest_svg(intervals, title="Lift per metric with its interval"))


def _band(trend: dict[str, Any]) -> Markup | None:
    points = [charts.Point(p["at"], p["lift"], p["low"], p["high"]) for p in trend["points"]]
    if not points:
        return None
    return Markup(charts.band_svg(points, title=f"Cumulative lift of {trend['metric']}"))


def learnings_page(
    reader: Reader, experiments: ExperimentService, query: dict[str, str]
) -> dict[str, Any]:
    team, q = query.get("team") or None, query.get("q", "").strip()
    found = experiments.learnings(team=team, q=q or None)
    owners = reader.summaries({i.owner for i in found.items})
    return {
        "team": team, "q": q, "teams": team_options(reader), "total": found.total,
        "learnings": [
            {**i.model_dump(mode="json"), "href": f"/experiments/{i.key}",
             "owner": link(i.owner, owners.get(i.owner))}
            for i in found.items
        ],
    }  # fmt: skip


def velocity_page(
    reader: Reader, experiments: ExperimentService, query: dict[str, str]
) -> dict[str, Any]:
    team = query.get("team") or None
    velocity = experiments.velocity(team=team)
    decided = [
        {"key": i.key, "href": f"/experiments/{i.key}", "decision": i.decision,
         "started": _day(i.started_at), "decided": _day(i.decided_at),
         "days": round((i.decided_at - i.started_at).total_seconds() / 86400, 1)}
        for i in experiments.learnings(team=team).items
        if i.started_at and i.decided_at
    ]  # fmt: skip
    months = [(m.month, m.started, m.decided) for m in velocity.months]
    svg = charts.bars_svg(months, title="Experiments started and decided per month")
    return {
        "team": team,
        "teams": team_options(reader),
        "velocity": velocity.model_dump(mode="json"),
        "decided": decided,
        "chart": Markup(svg) if months else None,
    }


def _day(at: Any) -> str | None:
    return at.date().isoformat() if at else None
