"""``orgloop insights dora|flow|import``: DORA and flow reports, and the imports behind them (thin)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from orgloop.insights.delivery.client import DeliveryClient
from orgloop.kernel.console import client, exits, print_json, render

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Team = Annotated[str | None, typer.Option(help="Only this team.")]
Since = Annotated[
    datetime | None, typer.Option(help="Window start (default: 90 days before --until).")
]
Until = Annotated[datetime | None, typer.Option(help="Window end (default: now).")]
SOURCES = ("github", "gitlab", "jira", "csv", "json")


def _delivery() -> DeliveryClient:
    return DeliveryClient(client())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _hours(value: Any) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def dora(
    team: Team = None,
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    since: Since = None,
    until: Until = None,
    by_service: Annotated[bool, typer.Option("--by-service", help="One row per service.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """DORA's four keys per team (or service), with their 2023 State of DevOps levels.

    Example: orgloop insights dora --team payments --since 2024-01-01 --json
    """
    report = _delivery().dora(
        team=team,
        service=service,
        since=_iso(since),
        until=_iso(until),
        group_by="service" if by_service else "team",
    )
    rows = [
        {
            "group": g["key"],
            "deploys/week": m["deploys_per_week"],
            "lead time": _hours(m["lead_time_median_hours"]),
            "failure rate": _pct(m["change_failure_rate"]),
            "restore": _hours(m["time_to_restore_median_hours"]),
            "level": m["band"] or "-",
        }
        for g in report["groups"]
        for m in [g["metrics"]]
    ]
    columns = ["group", "deploys/week", "lead time", "failure rate", "restore", "level"]
    render(rows, columns, as_json=as_json, raw=report, title="DORA")


def flow(
    team: Team = None,
    since: Since = None,
    until: Until = None,
    active: Annotated[list[str] | None, typer.Option(help="An active status (repeatable).")] = None,
    waiting: Annotated[
        list[str] | None, typer.Option(help="A waiting status (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Flow per team: flow time, active vs waiting, efficiency, hand-offs, unplanned share.

    Example: orgloop insights flow --team payments --active "In Progress" --json
    """
    report = _delivery().flow(
        team=team, since=_iso(since), until=_iso(until), active=active, waiting=waiting
    )
    rows = [
        {
            "team": g["key"],
            "items": m["items_completed"],
            "flow time": "-"
            if m["flow_time_median_days"] is None
            else f"{m['flow_time_median_days']:.1f} d",
            "efficiency": _pct(m["flow_efficiency"]),
            "hand-offs": m["handoffs"],
            "waiting on others": _pct(m["waiting_on_other_teams_share"]),
            "unplanned": _pct(m["unplanned_share"]),
        }
        for g in report["teams"]
        for m in [g["metrics"]]
    ]
    columns = [
        "team",
        "items",
        "flow time",
        "efficiency",
        "hand-offs",
        "waiting on others",
        "unplanned",
    ]
    render(rows, columns, as_json=as_json, raw=report, title="flow")


def import_(
    source: Annotated[str, typer.Argument(help="github, gitlab, jira, csv or json.")],
    file: Annotated[Path, typer.Argument(help="The file to import.")],
    kind: Annotated[
        str | None, typer.Option(help="For CSV: changes, deployments, incidents or work_items.")
    ] = None,
    team_field: Annotated[str, typer.Option(help="Jira's team field.")] = "Team",
    as_json: JsonFlag = False,
) -> None:
    """Import changes, deployments, incidents or work items; all of the file or nothing.

    Example: orgloop insights import github events.json
    """
    if source not in SOURCES:
        raise typer.BadParameter(f"one of {', '.join(SOURCES)}", param_hint="SOURCE")
    result = _delivery().import_file(
        source, file.read_bytes(), kind=kind, file=file.name, team_field=team_field
    )
    if as_json:
        print_json(result)
        return
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in result["imported"].items() if n)
    typer.echo(
        f"imported {counts or 'nothing'} from {file.name} ({result['skipped']} events skipped)"
    )


def register(app: typer.Typer) -> None:
    """Adds the dora, flow and import commands."""
    app.command("dora")(exits(dora))
    app.command("flow")(exits(flow))
    app.command("import")(exits(import_))
