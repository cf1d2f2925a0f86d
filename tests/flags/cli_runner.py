"""``run(*args)``: the flags CLI in process, as the CLI tests call it (against the ``server``
fixture of ``conftest.py``)."""

from __future__ import annotations

from typer.testing import CliRunner

from orgloop.flags import cli as flags_cli
from tests.cli import Result


def run(*args: str) -> Result:
    result = CliRunner().invoke(flags_cli.app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)
