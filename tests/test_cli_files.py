"""Every command that reads a file the user names: a missing file, a directory where a file is
expected, or a file that cannot be read gives one line naming it and exit 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli import run

# Each command that reads a file, with FILE where the file goes; the other arguments are valid
# enough to reach the read (the server is never contacted: ORGLOOP_URL points nowhere).
COMMANDS = [
    ["analyze", "FILE"],
    ["catalog", "validate", "FILE"],
    ["catalog", "import", "FILE"],
    ["contracts", "diff", "FILE", "FILE"],
    ["contracts", "publish", "orders", "--version", "1.0.0", "FILE"],
    ["contracts", "publish-pact", "checkout", "--version", "1.0.0", "FILE"],
    ["flags", "set-rules", "new-checkout", "--env", "production", "FILE"],
    ["flags", "groups", "create", "beta", "--owner", "checkout", "--values-file", "FILE"],
    ["experiments", "create", "FILE"],
    ["insights", "whatif", "FILE"],
    ["insights", "import", "csv", "FILE"],
]
# Commands whose argument may be a directory (of descriptors): the directory case is valid there.
TAKES_DIRECTORIES = {"catalog validate", "catalog import"}
# Their output is a validation report (counts, then one line per error): the error line names
# the file.
REPORTS = {"catalog validate", "catalog import"}
# Sent to the server as bytes, which judges the format: not read as text here.
BYTES = {"insights import"}


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGLOOP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ORGLOOP_TOKEN", "olp_nothing")


def _check(command: list[str], bad: Path) -> None:
    result = run(*(str(bad) if a == "FILE" else a for a in command))
    output = result.stderr + result.stdout
    lines = [line for line in output.splitlines() if line.strip()]
    assert result.exit_code == 2, (command, output)
    assert "Traceback" not in output
    if " ".join(command[:2]) in REPORTS:
        assert [line for line in lines if bad.name in line], output
    else:
        assert len(lines) == 1, output
        assert bad.name in lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_file_is_one_line_naming_it(command: list[str], tmp_path: Path) -> None:
    _check(command, tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if " ".join(c[:2]) not in TAKES_DIRECTORIES],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_directory_where_a_file_goes_is_one_line_naming_it(
    command: list[str], tmp_path: Path
) -> None:
    directory = tmp_path / "a-directory.yaml"
    directory.mkdir()
    _check(command, directory)


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if " ".join(c[:2]) not in BYTES], ids=lambda c: " ".join(c[:2])
)
def test_a_file_that_is_not_text_is_one_line_naming_it(command: list[str], tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80\x81")
    _check(command, binary)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: chmod 000 does not stop root from reading a file",
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_unreadable_file_is_one_line_naming_it(command: list[str], tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("a: 1\n")
    locked.chmod(0)
    _check(command, locked)
