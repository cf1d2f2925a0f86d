"""Run the ``orgloop`` command in process and capture what a user would see."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from orgloop.main import app


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)
