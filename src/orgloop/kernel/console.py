"""What every CLI command shares: rendering tables or JSON, and turning errors into exit codes.

Exit codes: 0 yes/success, 1 no (a verdict or check failed), 2 usage or input errors.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePath
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orgloop.kernel.client import ApiClient
from orgloop.kernel.errors import InvalidInput, OrgloopError

_INPUT_ERRORS = {"bad_request", "invalid_input", "not_found", "payload_too_large"}

P = ParamSpec("P")
R = TypeVar("R")

# Piped output has no terminal width; tables then get room instead of Rich's 80 columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)


def client() -> ApiClient:
    """The API client commands use (server and token: ``ORGLOOP_URL``/``ORGLOOP_TOKEN``, else
    ``orgloop login``'s file)."""
    return ApiClient()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def render(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool,
    title: str | None = None,
    raw: Any = None,
) -> None:
    """One helper for every listing: a Rich table, or with ``--json`` the JSON itself."""
    rows = list(rows)
    if as_json:
        print_json(raw if raw is not None else rows)
        return
    table = Table(title=title, header_style="bold", show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    out.print(table)
    if not rows:
        err.print("[dim]nothing to show[/dim]")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def exits(func: Callable[P, R]) -> Callable[P, R]:
    """Print orgloop errors to stderr (message and field paths) and exit non-zero; a file that
    cannot be read (missing, a directory, unreadable, not UTF-8) is one line naming it, exit 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OrgloopError as exc:
            fail(exc)
        except OSError as exc:  # a file the user named is missing, a directory or unreadable
            if exc.filename is None:
                raise
            fail(InvalidInput(f"{exc.filename}: {exc.strerror or exc}"))
        except UnicodeDecodeError as exc:
            named = [str(v) for v in (*args, *kwargs.values()) if isinstance(v, PurePath)]
            fail(InvalidInput(f"{', '.join(named) or 'input'}: not UTF-8 text ({exc.reason})"))

    return wrapper


def fail(exc: OrgloopError) -> NoReturn:
    err.print(f"[red]error[/red] {escape(f'[{exc.code}] {exc.message}')}", highlight=False)
    for item in exc.details.get("errors", [])[:50]:
        if isinstance(item, dict):
            where = ":".join(
                str(item[k]) for k in ("file", "document", "path") if item.get(k) is not None
            )
            line = f"{where}: {item.get('message', '')}"
            if line != exc.message:  # a single error is already the message line
                err.print(escape(f"  {line}"), highlight=False)
    code = 2 if exc.code in _INPUT_ERRORS else 1
    raise typer.Exit(code)
