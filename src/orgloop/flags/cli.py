"""``orgloop flags ...``: define flags, set their rules per environment, kill, explain (thin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from orgloop.flags import cli_groups
from orgloop.flags.client import FlagsClient
from orgloop.kernel import yamlguard
from orgloop.kernel.console import client, exits, out, print_json, render
from orgloop.kernel.errors import InvalidInput

app = typer.Typer(help="Feature flags: targeting, rollouts, kill switches.", no_args_is_help=True)
app.add_typer(cli_groups.app, name="groups")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Env = Annotated[str, typer.Option("--env", "-e", help="Environment, e.g. production.")]
Key = Annotated[str, typer.Argument(help="The flag's key.")]


def _flags() -> FlagsClient:
    return FlagsClient(client())


def _envs(flag: dict[str, Any]) -> str:
    return ", ".join(
        f"{env}={'on' if c['enabled'] else 'off'}" for env, c in flag["environments"].items()
    )


@app.command()
@exits
def create(
    key: Key,
    owner: Annotated[str, typer.Option(help="Owning team, e.g. checkout.")],
    type_: Annotated[
        str, typer.Option("--type", help="boolean, string, number or json.")
    ] = "boolean",
    default: Annotated[str, typer.Option(help="Default value as JSON.")] = "false",
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeatable).")] = None,
    description: Annotated[str, typer.Option(help="What the flag is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a flag (off in every environment until toggled on).

    Example: orgloop flags create new-checkout --owner checkout --tag q3
    """
    body = {"key": key, "type": type_, "default_value": _json(default, "--default"),
            "owner": owner, "tags": tag or [], "description": description}  # fmt: skip
    flag = _flags().create(body)
    print_json(flag) if as_json else out.print(f"created flag {flag['key']} ({flag['owner']})")


@app.command("list")
@exits
def list_(
    owner: Annotated[str | None, typer.Option(help="Only this team's flags.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only flags with this tag.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List flags with their owner, tags and on/off state per environment."""
    page = _flags().list(owner=owner, tag=tag)
    rows = [{**f, "environments": _envs(f)} for f in page["items"]]
    columns = ["key", "type", "owner", "tags", "environments"]
    render(rows, columns, as_json=as_json, raw=page["items"], title="flags")


@app.command()
@exits
def show(key: Key) -> None:
    """Show one flag with every environment's rules (JSON)."""
    print_json(_flags().get(key))


@app.command("set-rules")
@exits
def set_rules(
    key: Key,
    env: Env,
    file: Annotated[
        Path, typer.Argument(help="YAML or JSON: {enabled, rules: [...]} or a list of rules.")
    ],
) -> None:
    """Replace a flag's rules in one environment from a file (refused with field paths if invalid)."""
    try:
        data = yamlguard.load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yamlguard.YamlRefused) as exc:
        raise InvalidInput.at(str(file), f"cannot read the rules: {exc}") from None
    if isinstance(data, list):
        current = _flags().get(key)["environments"].get(env, {"enabled": False})
        data = {"enabled": current["enabled"], "rules": data}
    flag = _flags().set_environment(key, env, data)
    config = flag["environments"][env]
    state = "on" if config["enabled"] else "off"
    out.print(f"{key} in {env}: {len(config['rules'])} rules, {state}")


@app.command()
@exits
def toggle(
    key: Key,
    env: Env,
    on: Annotated[bool, typer.Option("--on/--off", help="Turn the flag on or off.")],
) -> None:
    """Turn a flag on or off in one environment."""
    _flags().toggle(key, env, on=on)
    out.print(f"{key} is now {'on' if on else 'off'} in {env}")


@app.command()
@exits
def kill(key: Key, env: Env) -> None:
    """Kill switch: turn a flag off in one environment now (rules are kept)."""
    _flags().kill(key, env)
    out.print(f"[red]killed[/red] {key} in {env}")


@app.command()
@exits
def history(key: Key, as_json: JsonFlag = False) -> None:
    """Every change to a flag, newest first, with who made it."""
    page = _flags().history(key)
    render(page["items"], ["at", "actor", "action"], as_json=as_json, raw=page, title=key)


@app.command()
@exits
def explain(
    key: Key,
    env: Env,
    attributes: Annotated[str, typer.Option(help="The unit's attributes as JSON.")] = "{}",
    as_json: JsonFlag = False,
) -> None:
    """Which rule a unit matches in an environment, and why.

    Example: orgloop flags explain new-checkout -e production --attributes '{"id": "u1"}'
    """
    result = _flags().explain(key, env, _json(attributes, "--attributes"))
    if as_json:
        print_json(result)
        return
    out.print(f"{key} = {json.dumps(result['value'])} ({result['source']})", highlight=False)
    for step in result["explanation"]:
        out.print(f"  {step}", highlight=False)


def _json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput.at(option, f"is not valid JSON ({exc})") from None
