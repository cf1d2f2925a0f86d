"""``orgloop traces ...``: the runtime service graph, one trace, unknown services (thin)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from orgloop.kernel.console import client, exits, out, print_json, render
from orgloop.traces.client import TracesClient

app = typer.Typer(
    help="What really calls what: the service graph from traces.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

GRAPH_COLUMNS = (
    "client", "server", "type", "requests", "rate", "errors", "p50_ms", "p95_ms", "p99_ms",
    "declared",
)  # fmt: skip
SPAN_COLUMNS = ("start_ms", "duration_ms", "span", "service", "team", "kind", "status")


def _traces() -> TracesClient:
    return TracesClient(client())


def _ms(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds * 1000:.1f}"


@app.command("graph")
@exits
def graph(
    since: Annotated[
        str | None, typer.Option(help="Window start: 15m, 1h, 7d ago, or an ISO 8601 time.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only edges touching this service.")] = None,
    env: Annotated[str | None, typer.Option(help="Only this deployment environment.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The observed service graph: per edge requests, rate, error rate and server latency.

    Example: orgloop traces graph --since 1h --service checkout --json
    """
    result = _traces().graph(since=since, service=service, env=env)
    if as_json:
        print_json(result)
        return
    rows = [
        {
            "client": e["client"],
            "server": e["server"],
            "type": e["connection_type"] or "-",
            "requests": f"{e['requests']:g}",
            "rate": f"{e['rate']:.3g}/s",
            "errors": f"{e['error_rate']:.1%}",
            "p50_ms": _ms(e["server_latency"]["p50"]),
            "p95_ms": _ms(e["server_latency"]["p95"]),
            "p99_ms": _ms(e["server_latency"]["p99"]),
            "declared": "yes" if e["declared"] else "no",
        }
        for e in result["edges"]
    ]
    render(rows, GRAPH_COLUMNS, as_json=False, title=f"since {result['since']}")
    for call in result["undeclared"]:
        out.print(f"undeclared: {call['client']} -> {call['server']} ({call['requests']:g} calls)")
    for dep in result["unused"]:
        out.print(f"declared, never observed: {dep['client']} -> {dep['server']} ({dep['via']})")


@app.command("show")
@exits
def show(
    trace_id: Annotated[str, typer.Argument(help="The trace id (32 hex digits).")],
    as_json: JsonFlag = False,
) -> None:
    """One trace as a waterfall: spans in start order, indented under their parents."""
    result = _traces().trace(trace_id)
    if as_json:
        print_json(result)
        return
    render(_waterfall(result), SPAN_COLUMNS, as_json=False, title=f"trace {result['trace_id']}")


def _waterfall(trace: dict[str, Any]) -> list[dict[str, Any]]:
    spans = trace["spans"]
    depth: dict[str, int] = {}
    start = min(s["start_unix_nano"] for s in spans)
    rows = []
    for span in spans:
        level = depth.get(span["parent_span_id"] or "", -1) + 1
        depth[span["span_id"]] = level
        rows.append(
            {
                "start_ms": f"{(span['start_unix_nano'] - start) / 1e6:.1f}",
                "duration_ms": _ms(span["duration_seconds"]),
                "span": "  " * level + span["name"],
                "service": span["service"],
                "team": span["team"],
                "kind": span["kind"],
                "status": span["status"],
            }
        )
    return rows


@app.command("unknown")
@exits
def unknown(as_json: JsonFlag = False) -> None:
    """Services that send spans but that no catalog Component claims (by name or annotation)."""
    result = _traces().unknown_services()
    render(
        result["items"],
        ("service", "spans", "first_seen", "last_seen"),
        as_json=as_json,
        raw=result,
    )
