"""Every ``orgloop ...`` command quoted in README.md and docs/*.md exists as written: the command
path is a real command and each option it names is one of that command's options."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from orgloop.main import app

ROOT = Path(__file__).resolve().parents[1]
# docs/cli.md is generated from the commands themselves.
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]
FENCE = re.compile(r"^```")
INLINE = re.compile(r"`(orgloop [^`]+)`")


def quoted_commands(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, command)`` of each ``orgloop`` command in a code block or inline code."""
    in_block = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if FENCE.match(line.strip()):
            in_block = not in_block
            continue
        if in_block:
            text = line.strip().removeprefix("$ ").strip()
            if pending is not None:
                pending = (pending[0], pending[1] + " " + text)
            elif text.startswith("orgloop "):
                pending = (number, text)
            if pending is not None and not pending[1].endswith("\\"):
                yield pending
                pending = None
            elif pending is not None:
                pending = (pending[0], pending[1][:-1])
        else:
            for match in INLINE.finditer(line):
                yield number, match.group(1)


def problem(root: Any, command: str) -> str | None:
    """Why ``command`` does not match the CLI, or None when it does."""
    command = re.split(r"\s+(?:\||&&|;|>|2>|#)\s*", command)[0]
    try:
        words = shlex.split(command.replace("…", " "))[1:]
    except ValueError:
        words = command.split()[1:]
    node, path = root, ["orgloop"]
    while words and hasattr(node, "commands") and not words[0].startswith("-"):
        word = words[0]
        if "|" in word and all(w in node.commands for w in word.split("|")):
            return None  # "orgloop catalog teams|services": each alternative is a command
        if word in node.commands:
            node, path = node.commands[word], [*path, word]
            words = words[1:]
        elif _placeholder(word):
            return None  # "orgloop flags COMMAND": a path to be completed by the reader
        else:
            return f"'{' '.join(path)}' has no command {word!r}"
    known = {opt for param in _params(node) for opt in (*param.opts, *param.secondary_opts)}
    for word in words:
        if word.startswith("-") and len(word) > 1 and not _number(word):
            option = word.split("=", 1)[0]
            if option not in known:
                return f"'{' '.join(path)}' has no option {option}"
    return None


def _params(node: Any) -> list[Any]:
    params = list(node.params)
    return [*params, *([] if any("--help" in p.opts for p in params) else [_Help()])]


class _Help:
    opts = ("--help", "-h")
    secondary_opts = ()


def _placeholder(word: str) -> bool:
    return word.isupper() or word.startswith(("<", "[", "{")) or word in {"...", "…"}


def _number(word: str) -> bool:
    return re.fullmatch(r"-\d+(\.\d+)?", word) is not None


CASES = [(path, number, command) for path in DOCS for number, command in quoted_commands(path)]


def test_the_docs_quote_commands() -> None:
    assert len(CASES) > 50


@pytest.mark.parametrize(
    ("path", "number", "command"),
    CASES,
    ids=[f"{p.name}:{n}" for p, n, _ in CASES],
)
def test_a_quoted_command_exists_as_written(path: Path, number: int, command: str) -> None:
    found = problem(typer.main.get_command(app), command)
    assert found is None, f"{path.relative_to(ROOT)}:{number}: {command}\n  {found}"
