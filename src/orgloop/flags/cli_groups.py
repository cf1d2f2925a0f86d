"""``orgloop flags groups ...``: saved groups, the named value lists ``$inGroup`` rules share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orgloop.flags.client import SavedGroupsClient
from orgloop.kernel import yamlguard
from orgloop.kernel.console import client, exits, out, print_json, render
from orgloop.kernel.errors import InvalidInput

app = typer.Typer(
    help="Saved groups: named lists of ids that $inGroup conditions use.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Key = Annotated[str, typer.Argument(help="The saved group's key.")]


def _groups() -> SavedGroupsClient:
    return SavedGroupsClient(client())


@app.command()
@exits
def create(
    key: Key,
    owner: Annotated[str, typer.Option(help="Owning team, e.g. checkout.")],
    value: Annotated[
        list[str] | None, typer.Option("--value", help="A value, as a string (repeatable).")
    ] = None,
    values_file: Annotated[
        Path | None,
        typer.Option(help="A YAML/JSON list of strings or numbers, or one string per line."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the group is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a saved group from --value options and/or a file.

    Example: orgloop flags groups create beta-testers --owner checkout --values-file ids.txt
    """
    values = [*(_read_values(values_file) if values_file else []), *(value or [])]
    body = {"key": key, "owner": owner, "description": description, "values": values}
    group = _groups().create(body)
    if as_json:
        print_json(group)
        return
    out.print(f"created saved group {group['key']} ({len(group['values'])} values)")


@app.command("list")
@exits
def list_(
    owner: Annotated[str | None, typer.Option(help="Only this team's groups.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List saved groups with their owner and size."""
    page = _groups().list(owner=owner)
    rows = [{**g, "size": len(g["values"])} for g in page["items"]]
    render(rows, ["key", "owner", "size", "description"], as_json=as_json, raw=page["items"])


@app.command()
@exits
def show(key: Key) -> None:
    """Show one saved group with its values (JSON)."""
    print_json(_groups().get(key))


@app.command()
@exits
def delete(key: Key) -> None:
    """Delete a saved group (refused while a flag rule still uses it)."""
    _groups().delete(key)
    out.print(f"deleted saved group {key}")


def _read_values(path: Path) -> list[Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInput.at("--values-file", f"cannot read {path} ({exc.strerror})") from None
    try:
        data = yamlguard.load(text)
    except yamlguard.YamlRefused:
        data = None
    if isinstance(data, list):
        return data
    return [line.strip() for line in text.splitlines() if line.strip()]
