"""``orgloop analyze`` (offline) and ``orgloop experiments ...`` (thin: parse, call, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orgloop.experiments.client import ExperimentsClient
from orgloop.kernel import yamlguard
from orgloop.kernel.console import client, err, exits, out, print_json, render
from orgloop.kernel.errors import InvalidInput, OrgloopError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

RESULT_COLUMNS = (
    "metric",
    "variant",
    "units",
    "control_mean",
    "mean",
    "lift",
    "ci",
    "p_value",
    "chance_to_win",
    "status",
)


@exits
def analyze(
    config: Annotated[Path, typer.Argument(help="The analysis config (YAML).")],
    as_json: JsonFlag = False,
) -> None:
    """Analyse an experiment offline from a DuckDB file, Parquet/CSV files or a warehouse.

    No server is needed. Prints one row per metric and treatment, the SRM check and the
    recommendation (ship, kill, keep-going, investigate). See docs/experiments.md.

    Example: orgloop analyze examples/experiments/analyze.yaml --json
    """
    # Imported here: the analysis stack (Ibis, DuckDB, SciPy) would slow every other command.
    from orgloop.experiments.config import load_config, run_config

    report = run_config(load_config(config), base=config.resolve().parent).to_dict()
    show_report(report, as_json=as_json)


def show_report(report: dict[str, Any], *, as_json: bool) -> None:
    """The report as JSON, or a table of rows with the SRM check and the recommendation."""
    if as_json:
        print_json(report)
        return
    render([_cells(r) for r in report["rows"]], RESULT_COLUMNS, as_json=False)
    units = ", ".join(f"{v}: {n}" for v, n in report["units"].items())
    srm = report["srm_p_value"]
    out.print(
        f"units {units}; SRM p-value {_fmt(srm)}{' (MISMATCH)' if report['srm_mismatch'] else ''}"
    )
    out.print(f"[bold]{report['recommendation']}[/bold]: {report['reason']}")


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    ci = f"[{_pct(row['lift_ci_low'])}, {_pct(row['lift_ci_high'])}]"
    return {
        **row,
        "mean": _fmt(row["mean"]),
        "control_mean": _fmt(row["control_mean"]),
        "lift": _pct(row["lift"]),
        "ci": ci if row["lift_ci_low"] is not None else None,
        "p_value": _fmt(row["p_value"]),
        "chance_to_win": None if row["chance_to_win"] is None else f"{row['chance_to_win']:.1%}",
    }


def _fmt(value: float | None) -> str | None:
    return None if value is None else f"{value:.4g}"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:+.2%}"


app = typer.Typer(
    help="Experiments: plan, start, stop, analyse and decide; the learning log.",
    no_args_is_help=True,
)
Key = Annotated[str, typer.Argument(help="The experiment key.")]
TeamOption = Annotated[str | None, typer.Option("--team", help="Only this team's.")]
EXPERIMENT_COLUMNS = ("key", "owner", "status", "flag_key", "planned_sample_size", "decision")


def _client() -> ExperimentsClient:
    return ExperimentsClient(client())


@app.command()
@exits
def create(
    spec: Annotated[Path, typer.Argument(help="The experiment as YAML or JSON (see docs).")],
    as_json: JsonFlag = False,
) -> None:
    """Plan an experiment from a file: key, hypothesis, owner, flag, variations, metrics, plan.

    Example: orgloop experiments create checkout-redesign.yaml
    """
    try:
        body = yamlguard.load(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yamlguard.YamlRefused) as exc:
        raise InvalidInput.at(str(spec), f"cannot read the experiment: {exc}") from None
    _show(_client().create(body), as_json=as_json)


@app.command("list")
@exits
def list_(
    team: TeamOption = None,
    status: Annotated[str | None, typer.Option(help="draft, running, stopped or decided.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List experiments, newest first."""
    page = _client().list(team=team, status=status)
    render(page["items"], EXPERIMENT_COLUMNS, as_json=as_json, raw=page)


@app.command()
@exits
def show(key: Key, as_json: JsonFlag = False) -> None:
    """One experiment: its plan, status, decision and last analysis."""
    _show(_client().get(key), as_json=as_json)


@app.command()
@exits
def start(key: Key, as_json: JsonFlag = False) -> None:
    """Start a planned experiment (draft -> running)."""
    _show(_client().start(key), as_json=as_json)


@app.command()
@exits
def stop(key: Key, as_json: JsonFlag = False) -> None:
    """Stop a running experiment; its analysis then ignores later data."""
    _show(_client().stop(key), as_json=as_json)


@app.command("analyze")
@exits
def analyze_experiment(
    key: Key,
    record: Annotated[
        bool, typer.Option("--record", help="Keep the snapshot and raise alerts.")
    ] = False,
    until: Annotated[
        str | None,
        typer.Option(
            help="Analyse the data as it stood at this time (RFC 3339 with an offset, e.g. "
            "2026-02-01T00:00:00Z): exposures and events before it. Not with --record."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Analyse an experiment now, from the server's event store."""
    if record and until is not None:
        raise typer.BadParameter("a look back (--until) is never recorded", param_hint="--until")
    report = _client().analyse(key, record=record, until=until)
    show_report(report, as_json=as_json)
    if record:
        units = sum(report["units"].values())
        err.print(
            f"recorded: this analysis of {key} ({units} units, {report['recommendation']}) is now "
            "its latest snapshot, with any SRM or guardrail alert raised from it"
        )


@app.command()
@exits
def decide(
    key: Key,
    decision: Annotated[str, typer.Option(help="ship, kill or iterate.")],
    reason: Annotated[str, typer.Option(help="Why, in a sentence or two.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Ship although no units were exposed or the analysis does not say ship."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Record the decision; the analysis it was made on is kept as evidence.

    Shipping an experiment without units, or one whose analysis recommends something other than
    ship, needs --force.

    Example: orgloop experiments decide checkout-redesign --decision ship --reason "+4% conversion"
    """
    if decision == "ship" and not force:
        _check_ship(key)
    made = _client().decide(key, decision=decision, reason=reason)
    if as_json:
        print_json(made)
        return
    out.print(f"{made['experiment']}: [bold]{made['decision']}[/bold] ({made['reason']})")


def _check_ship(key: str) -> None:
    """Refuse to ship on no evidence, or against the analysis, saying why."""
    try:
        report = _client().analyse(key, record=False)
    except OrgloopError as exc:
        if exc.code == "conflict":
            return  # not started: the decision itself says so
        raise
    units = sum(report["units"].values())
    if units == 0:
        why = "no units have been exposed to it"
    elif report["recommendation"] != "ship":
        why = f"its analysis recommends {report['recommendation']} ({report['reason']})"
    else:
        return
    raise InvalidInput(f"{key}: not shipped: {why}; pass --force to ship it anyway")


@app.command()
@exits
def learnings(
    team: TeamOption = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Words to search for.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The learning log: every experiment's hypothesis, result and decision."""
    page = _client().learnings(team=team, q=q)
    columns = ("key", "owner", "hypothesis", "result", "decision", "decision_reason")
    render(page["items"], columns, as_json=as_json, raw=page)


@app.command()
@exits
def velocity(team: TeamOption = None, as_json: JsonFlag = False) -> None:
    """Experiments started and decided per month, and days from start to decision."""
    result = _client().velocity(team=team)
    render(result["months"], ("month", "started", "decided"), as_json=as_json, raw=result)
    if not as_json:
        out.print(f"median days from start to decision: {result['median_days_to_decision']}")


def _show(experiment: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(experiment)
        return
    render([experiment], EXPERIMENT_COLUMNS, as_json=False)
