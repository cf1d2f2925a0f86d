"""``orgloop contracts ...``: API contracts from the command line (thin)."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from orgloop.contracts import cli_diff
from orgloop.contracts.client import ContractsClient
from orgloop.contracts.openapi.model import Change
from orgloop.kernel import yamlguard
from orgloop.kernel.console import client, err, exits, out, print_json, render
from orgloop.kernel.errors import InvalidInput, OrgloopError

app = typer.Typer(
    help="API contracts: breaking-change detection between OpenAPI versions.", no_args_is_help=True
)


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class Level(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


@app.command()
def diff(
    base: Annotated[
        Path, typer.Argument(help="The OpenAPI document consumers use today (YAML or JSON).")
    ],
    new: Annotated[Path, typer.Argument(help="The OpenAPI document you want to ship.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: Annotated[
        Level, typer.Option("--fail-on", help="Exit 1 when a finding is at or above this level.")
    ] = Level.error,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="Policy file: per-rule levels, ignores with reasons, sunset days."
        ),
    ] = None,
) -> None:
    """Compare two OpenAPI documents and list what changed, breaking changes first. Offline.

    Each finding has an oasdiff-compatible rule id, a level (error: breaking, warning: may
    break, info), the operation and the JSON path. Exit 0 when nothing is at or above
    --fail-on, 1 when something is, 2 when an input cannot be read or is not OpenAPI.

    Examples:

      orgloop contracts diff openapi-v1.yaml openapi-v2.yaml

      orgloop contracts diff old.json new.json --format markdown --fail-on warning
    """
    text, code = cli_diff.run(
        str(base),
        str(new),
        fmt=fmt.value,
        fail_on=fail_on.value,
        policy_path=str(policy) if policy else None,
    )
    typer.echo(text, nl=not text.endswith("\n"))
    raise typer.Exit(code)


# -- the registry, consumer contracts, deployments and can-i-deploy (need a server) -----------

Version = Annotated[str, typer.Option("--version", "-v", help="The service version (semver).")]
Env = Annotated[str, typer.Option("--env", "-e", help="The environment, e.g. production.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _contracts() -> ContractsClient:
    return ContractsClient(client())


@app.command()
@exits
def publish(
    service: str,
    version: Version,
    spec: Annotated[Path, typer.Argument(help="The OpenAPI document (YAML or JSON).")],
    api: Annotated[str | None, typer.Option(help="The API's name in the catalog.")] = None,
) -> None:
    """Record the API document of a service version. A breaking change needs a major version.

    Example: orgloop contracts publish orders --version 2.0.0 openapi.yaml
    """
    try:
        result = _contracts().publish(service, version, spec.read_text(), api)
    except OrgloopError as exc:
        if exc.code == "semver_violation":
            changes = [Change(**c) for c in exc.details.get("findings", [])]
            err.print(cli_diff.render_text(changes), highlight=False, markup=False)
        raise
    out.print(f"recorded {service} {result['version']} (document {result['digest'][:12]})")


@app.command()
@exits
def versions(service: str, as_json: JsonFlag = False) -> None:
    """The recorded API versions of a service, oldest first."""
    rows = _contracts().versions(service)
    render(rows, ["version", "api", "digest", "created_at"], as_json=as_json)


@app.command()
@exits
def changelog(
    service: str,
    base: str,
    revision: str,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """What changed between two recorded versions of a service's API, breaking changes first."""
    log = _contracts().changelog(service, base, revision)
    if fmt == Format.json:
        print_json(log)
        return
    changes = [Change(**c) for c in log["changes"]]
    typer.echo(cli_diff.render(changes, fmt.value))


@app.command("publish-pact")
@exits
def publish_pact(
    consumer: str,
    version: Version,
    file: Annotated[Path, typer.Argument(help="A Pact file (v2 to v4) or a light contract.")],
    provider: Annotated[
        str | None, typer.Option(help="The provider (default: the one the file names).")
    ] = None,
) -> None:
    """Record what a consumer version needs of a provider: a Pact file or a light contract.

    Example: orgloop contracts publish-pact checkout --version 3.1.0 pacts/checkout-orders.json
    """
    text = file.read_text()
    kind, named = _contract_kind(text)
    result = _contracts().publish_contract(consumer, version, provider or named, kind, text)
    out.print(f"recorded the {kind} contract of {consumer} {version} on {result['provider']}")


def _contract_kind(text: str) -> tuple[str, str]:
    """("pact" | "light", the provider the file names)."""
    try:
        data = yamlguard.load(text)
    except yamlguard.YamlRefused as exc:
        raise InvalidInput.at("file", f"not JSON or YAML that orgloop reads: {exc}") from None
    if not isinstance(data, dict):
        return "pact", ""
    provider = data.get("provider")
    if isinstance(provider, dict):
        return "pact", str(provider.get("name", ""))
    return "light", str(provider or "")


@app.command()
@exits
def deprecations(
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Only this provider.")
    ] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Consumers still using a deprecated operation or an old major version, soonest sunset first.

    Example: orgloop contracts deprecations --provider orders --env production
    """
    report = _contracts().deprecations(provider, env)
    rows = [
        {**u, "consumer": f"{u['consumer']} {u['consumer_version']}",
         "operation": u["operation"] or f"needs {u['provider_version']}"}
        for u in report["uses"]
    ]  # fmt: skip
    columns = ["consumer", "provider", "operation", "sunset", "days_left"]
    columns += [] if env else ["environment"]
    render(rows, columns, as_json=as_json, raw=report, title="Deprecated uses")
    if not as_json:
        s = report["summary"]
        out.print(f"{s['deprecated_operation']} deprecated operation use(s), {s['old_major_version']} "
                  f"old major version use(s), {s['past_sunset']} past sunset, {s['consumers']} consumer(s)")  # fmt: skip


deployments_app = typer.Typer(
    help="What runs where: deployments and supported releases per environment.",
    no_args_is_help=True,
)


def _deployment(action: str, service: str, version: str, env: str, said: str) -> None:
    _contracts().deployment(service, action, version, env)
    out.print(f"{service} {version} {said} {env}")


@deployments_app.command()
@exits
def record(service: str, version: Version, env: Env) -> None:
    """Record that VERSION now runs in ENV (it replaces the version that ran there)."""
    _deployment("deployments", service, version, env, "deployed to")


@deployments_app.command("record-release")
@exits
def record_release(service: str, version: Version, env: Env) -> None:
    """Record a supported release: it counts for can-i-deploy until its support ends."""
    _deployment("releases", service, version, env, "supported in")


@deployments_app.command("support-ended")
@exits
def support_ended(service: str, version: Version, env: Env) -> None:
    """End the support of a release."""
    _deployment("releases/end", service, version, env, "no longer supported in")


@deployments_app.command()
@exits
def undeploy(service: str, version: Version, env: Env) -> None:
    """Record that the service no longer runs in ENV."""
    _deployment("deployments/end", service, version, env, "undeployed from")


@deployments_app.command("list")
@exits
def list_deployments(
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The what-runs-where matrix."""
    rows = _contracts().deployments(env)
    render(rows, ["environment", "service", "version", "kind", "team"], as_json=as_json)


@deployments_app.command("history")
@exits
def deployment_history(
    service: Annotated[
        str | None, typer.Option("--service", "-s", help="Only this service.")
    ] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    since: Annotated[str | None, typer.Option(help="Started at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Started before (ISO 8601).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every deployment recorded, current or since replaced, oldest first.

    Example: orgloop deployments history --service orders --since 2026-01-01
    """
    rows = _contracts().deployment_history(
        service=service, environment=env, since=since, until=until
    )
    columns = ["started_at", "environment", "service", "version", "ended_at", "recorded_by"]
    render(rows, columns, as_json=as_json)


class ObservedPolicy(StrEnum):
    warn = "warn"
    block = "block"
    ignore = "ignore"


@exits
def can_i_deploy(
    service: str,
    version: Version,
    to: Annotated[str, typer.Option("--to", help="The environment to deploy to.")],
    as_json: JsonFlag = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Always exit 0.")] = False,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Leave this service out (repeatable).")
    ] = None,
    retry_while_unknown: Annotated[
        int, typer.Option(help="Ask again up to N times while the answer is unknown.")
    ] = 0,
    retry_interval: Annotated[float, typer.Option(help="Seconds between retries.")] = 10.0,
    observed_consumers: Annotated[
        ObservedPolicy,
        typer.Option(
            help="Consumers seen in traffic without a consumer contract: warn (default), "
            "block (answer no) or ignore."
        ),
    ] = ObservedPolicy.warn,
) -> None:
    """Can SERVICE VERSION go to the environment? Exit 0 yes, 1 no or unknown.

    Checked against every version deployed or supported there: the providers it needs keep its
    contracts, and it breaks no consumer. Each reason names the service, version, team and the
    operation or field.

    Example (in CI): orgloop can-i-deploy orders --version 2.0.0 --to production
    """
    contracts = _contracts()
    policy = observed_consumers.value
    verdict = contracts.can_i_deploy(service, version, to, ignore or [], policy)
    for _ in range(retry_while_unknown):
        if verdict["deployable"] is not None:
            break
        time.sleep(retry_interval)
        verdict = contracts.can_i_deploy(service, version, to, ignore or [], policy)
    _print_verdict(verdict, as_json=as_json)
    raise typer.Exit(0 if dry_run or verdict["deployable"] is True else 1)


def _print_verdict(verdict: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "deployable": verdict["deployable"],
                "reasons": verdict["reasons"],
                "warnings": verdict.get("warnings", []),
            }
        )
        return
    answer = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "[yellow]unknown[/yellow]"}
    out.print(
        f"can-i-deploy {verdict['service']} {verdict['version']} to {verdict['environment']}: "
        f"{answer[verdict['deployable']]}"
    )
    for r in verdict["reasons"]:
        who = f"{r['service']} {r['version'] or ''} (team {r['team'] or '?'})"
        line = escape(f"[{r['kind']}] {who}: {r['detail']}")
        out.print(f"  {line}", highlight=False)
    for w in verdict.get("warnings", []):
        line = escape(f"[{w['kind']}] {w['detail']}")
        out.print(f"  [yellow]warning[/yellow] {line}", highlight=False)


@app.command()
@exits
def consumers(
    service: str,
    observed: Annotated[
        bool, typer.Option("--observed", help="Consumers seen in traffic (spans), not contracts.")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="With --observed: ISO 8601 start (default: last 72 hours).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The consumers of SERVICE: by consumer contract, or (--observed) as seen in traffic.

    Example: orgloop contracts consumers orders --observed
    """
    contracts = _contracts()
    if not observed:
        rows = contracts.contracts(provider=service)
        render(rows, ["consumer", "consumer_version", "kind", "created_at"], as_json=as_json)
        return
    found = contracts.observed_consumers(service, since)
    if as_json:
        print_json(found)
        return
    strangers = set(found["without_contract"])
    rows = [
        {**c, "contract": "no" if c["consumer"] in strangers else "yes"} for c in found["calls"]
    ]
    columns = ["consumer", "consumer_version", "operation", "provider_version", "calls"]
    render(rows, [*columns, "failed", "contract"], as_json=False)
