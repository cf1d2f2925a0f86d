"""Docs are checked by tests: every CLI command has its section in docs/cli.md."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from orgloop.main import app

CLI_DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def _commands(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if hasattr(group, "commands"):
        for name in sorted(group.commands):
            yield from _commands(group.commands[name], f"{prefix} {name}")
        if not group.invoke_without_command:
            return
    yield prefix, group


def _render() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# The orgloop command",
        "",
        "Generated from the commands' own help (`ORGLOOP_UPDATE_DOCS=1 pytest tests/test_docs.py`);",
        "`orgloop COMMAND --help` shows the same text. Exit codes: 0 yes/success, 1 no (a verdict or",
        "check failed, or the server refused), 2 usage or input errors.",
        "",
    ]
    for path, command in _commands(root, "orgloop"):
        if path == "orgloop":
            continue
        with command.make_context(path, ["--help"], resilient_parsing=True) as ctx:
            usage = command.get_usage(ctx).removeprefix("Usage: ")
        lines += [f"## {path}", "", "```", usage, "```", "", (command.help or "").strip(), ""]
        options = [p for p in command.params if p.param_type_name == "option" and p.help]
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for param in arguments:
            name = (param.name or "").upper()
            lines.append(f"- `{name}`: {getattr(param, 'help', '') or ''}".rstrip())
        for param in options:
            lines.append(f"- `{', '.join(param.opts)}`: {param.help}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def test_every_command_is_documented_in_docs_cli_md() -> None:
    rendered = _render()
    if os.environ.get("ORGLOOP_UPDATE_DOCS") == "1":
        CLI_DOC.write_text(rendered)
    assert CLI_DOC.read_text() == rendered, (
        "docs/cli.md is out of date: run 'ORGLOOP_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py'"
    )


def test_every_command_has_help_text() -> None:
    root = typer.main.get_command(app)
    undocumented = [
        path for path, command in _commands(root, "orgloop") if not (command.help or "").strip()
    ]
    assert undocumented == []
