"""``orgloop contracts ...``: API contracts from the command line (thin)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orgloop.contracts import difftool

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
    base: Annotated[Path, typer.Argument(help="The OpenAPI document consumers use today (YAML or JSON).")],
    new: Annotated[Path, typer.Argument(help="The OpenAPI document you want to ship.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: Annotated[
        Level, typer.Option("--fail-on", help="Exit 1 when a finding is at or above this level.")
    ] = Level.error,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file: per-rule levels, ignores with reasons, sunset days."),
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
    text, code = difftool.run(
        str(base), str(new), fmt=fmt.value, fail_on=fail_on.value,
        policy_path=str(policy) if policy else None,
    )
    typer.echo(text, nl=not text.endswith("\n"))
    raise typer.Exit(code)
