"""Every command's ``--help`` at 80 columns: no Python type names, no line wider than the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from orgloop.main import app

TYPE_NAMES = re.compile(r"[a-z]+\[|<class|<(bool|str|int|float|path|datetime|int range)>")


def _paths(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield from _paths(command, (*prefix, name))


PATHS = list(_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "orgloop")
def test_help_reads_well_at_80_columns(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    help_text = result.output
    assert "Usage:" in help_text
    found = TYPE_NAMES.findall(help_text)
    assert not found, f"Python type names in help: {found}\n{help_text}"
    wide = [line for line in help_text.splitlines() if len(line.rstrip()) > 80]
    assert not wide, "\n".join(wide)


def test_the_walk_found_every_command() -> None:
    assert ("contracts", "publish") in PATHS
    assert ("flags", "groups", "create") in PATHS
    assert len(PATHS) > 60
