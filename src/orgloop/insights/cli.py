"""``orgloop insights ...``: Conway alignment, monolith signals, team shape, velocity, what-if.

Thin: parse, call the API through ``InsightsClient``, render a table or ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orgloop.insights import cli_delivery
from orgloop.insights.client import InsightsClient
from orgloop.insights.models import Thresholds
from orgloop.kernel import yamlguard
from orgloop.kernel.console import client, exits, out, print_json, render
from orgloop.kernel.errors import InvalidInput

app = typer.Typer(
    help="Insights: Conway alignment, distributed-monolith signals, DORA, flow, team shape, "
    "learning velocity and what-if re-organisation.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TeamOption = Annotated[str | None, typer.Option("--team", help="Only what involves this team.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only data from this time on (ISO 8601).")
]


def _client() -> InsightsClient:
    return InsightsClient(client())


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@app.command()
@exits
def conway(team: TeamOption = None, since: SinceOption = None, as_json: JsonFlag = False) -> None:
    """Conway alignment: coordination needs vs declared team interactions (congruence).

    Lists the needs no declared interaction covers, with the calls behind each, and per team
    its fan-in, fan-out and cognitive load. Example: orgloop insights conway --json
    """
    report = _client().report("conway", team=team, since=since)
    if as_json:
        print_json(report)
        return
    out.print(
        f"congruence {_pct(report['congruence'])} ({report['covered']} of {report['needs']} "
        f"needs declared); cross-team share of calls {_pct(report['cross_team_share'])} "
        f"[dim](calls: {report['source']})[/dim]"
    )
    rows = [
        {
            "teams": " <-> ".join(n["teams"]),
            "rate": f"{n['rate']:g}",
            "calls": [f"{c['source']}->{c['target']}" for c in n["calls"][:5]],
        }
        for n in report["uncovered"]
    ]
    render(
        rows,
        ("teams", "rate", "calls"),
        as_json=False,
        title="needs without a declared interaction",
    )
    render(
        report["teams"],
        ("team", "fan_in", "fan_out", "services", "apis", "dependencies"),
        as_json=False,
        title="per team",
    )


@app.command()
@exits
def monolith(
    team: TeamOption = None,
    since: SinceOption = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            help="NAME=VALUE, e.g. min_co_deploy_degree=60 (repeatable; see docs/insights.md).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Distributed-monolith signals by severity, with evidence and the teams to talk to.

    Example: orgloop insights monolith --threshold max_chain_depth=3 --json
    """
    params: dict[str, Any] = {"team": team, "since": since}
    for item in threshold or []:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in Thresholds.model_fields:
            known = ", ".join(Thresholds.model_fields)
            raise InvalidInput.at("--threshold", f"expected NAME=VALUE with NAME one of {known}")
        params[name.strip()] = value.strip()
    report = _client().report("monolith", **params)
    render(
        report["signals"],
        ("severity", "kind", "summary", "teams"),
        as_json=as_json,
        raw=report,
        title="distributed-monolith signals",
    )


@app.command()
@exits
def teams(team: TeamOption = None, as_json: JsonFlag = False) -> None:
    """Team shape: people and communication paths, functions present vs needed, N-tier smell."""
    report = _client().report("teams", team=team)
    columns = ("team", "people", "paths", "functions", "lacks", "n_tier", "capabilities")
    render(report["teams"], columns, as_json=as_json, raw=report, title="teams")
    if not as_json and report["units"]:
        render(report["units"], ("unit", "teams", "people", "paths", "over_size"), as_json=False)


@app.command()
@exits
def velocity(team: TeamOption = None, since: SinceOption = None, as_json: JsonFlag = False) -> None:
    """Learning velocity per team: experiments started and decided, time to decision, outcomes."""
    report = _client().report("velocity", team=team, since=since)
    rows = [
        {
            **t,
            "shipped": _pct(t["shipped"]),
            "killed": _pct(t["killed"]),
            "inconclusive": _pct(t["inconclusive"]),
        }
        for t in report["teams"]
    ]
    columns = ("team", "started", "decided", "median_days_to_decision", "shipped", "killed",
               "inconclusive")  # fmt: skip
    render(rows, columns, as_json=as_json, raw=report, title="learning velocity")


@app.command()
@exits
def whatif(
    scenario: Annotated[Path, typer.Argument(help="The scenario (YAML or JSON).")],
    as_json: JsonFlag = False,
) -> None:
    """Recompute the insights after moving services or people, splitting or merging teams.

    Shows today and the scenario side by side, and the simulated flow of work through both.
    Nothing is changed. Example: orgloop insights whatif examples/insights/capability-teams.yaml
    """
    try:
        body = yamlguard.load(scenario.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yamlguard.YamlRefused) as exc:
        raise InvalidInput.at(str(scenario), f"cannot read the scenario: {exc}") from None
    report = _client().what_if(body, source=scenario.name)
    if as_json:
        print_json(report)
        return
    before, after = report["before"], report["after"]
    keys = ["teams", "congruence", "cross_team_share", "uncovered_needs", "lockstep_pairs"]
    sim_keys = ["mean_flow_days", "p85_flow_days", "handoffs_per_item", "flow_efficiency"]
    rows = [{"measure": k, "today": before[k], "scenario": after[k]} for k in keys]
    if before["simulation"] and after["simulation"]:
        rows += [
            {"measure": k, "today": before["simulation"][k], "scenario": after["simulation"][k]}
            for k in sim_keys
        ]
    render(rows, ("measure", "today", "scenario"), as_json=False, title=report["scenario"])


cli_delivery.register(app)
