"""README.md's tour, run as written against a live demo: every command in its code blocks runs in
a shell (``orgloop`` on the PATH, from a folder where ``examples/`` is the repository's), in the
order the README gives, and what the README says it shows is checked.

The demo is started as ``make demo`` starts it, with fewer simulated customers so that it is
ready sooner (``--customers``, ``--online``); the effects it builds in are large enough to be
found in them.  The commands that cannot run here are in ``NOT_RUN`` with the reason.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
READY = "run until you press Ctrl-C"
COMMAND = re.compile(r"^(orgloop |make |export |source |[A-Z_]+=(<[^>]*>|\S*) orgloop )")
COMMENT = re.compile(r"\s+#\s.*$")

NOT_RUN = {
    "make demo": "the test starts the demo itself, as make demo does, with fewer customers",
    "make test": "runs the suite this test is part of",
    "export ORGLOOP_URL=": "the test sets ORGLOOP_URL and ORGLOOP_TOKEN from what the demo prints",
    "source .venv/bin/activate": "the commands run with .venv/bin first on the PATH",
}
"""Tour commands (by how they start) that the test does not run, and why."""

EXPECT: dict[str, tuple[int, list[str]]] = {
    "orgloop catalog validate examples/shop/catalog": (0, ["47 entities", "valid"]),
    "orgloop catalog validate examples/shop/catalog --json": (0, ['"errors": []']),
    "orgloop catalog validate examples/shop": (0, ["47 entities", "note: skipped 7 YAML files"]),
    "orgloop catalog import examples/shop/catalog": (0, ["0 created, 0 updated, 47 unchanged"]),
    "orgloop catalog services --owner checkout": (0, ["cart", "checkout", "payments"]),
    "orgloop catalog show component:checkout": (0, ["component:default/checkout", "owner"]),
    "orgloop catalog export ./catalog-backup": (0, ["47 entities exported"]),
    "orgloop tokens create --team checkout --role member": (0, ["olp_"]),
    "ORGLOOP_TOKEN=<that token> orgloop catalog import some-other-teams-service.yaml": (
        1,
        [
            "error [forbidden] cannot change component:default/orders: it is owned by team "
            "'group:default/fulfilment'"
        ],
    ),
    "orgloop contracts diff examples/shop/contracts/orders-v1.yaml "
    "examples/shop/contracts/orders-v2.yaml --fail-on error": (1, ["property 'total'"]),
    "orgloop contracts diff examples/shop/contracts/orders-v1.yaml "
    "examples/shop/contracts/orders-v2.yaml --format markdown > api-changes.md": (1, []),
    "orgloop can-i-deploy orders --version 2.0.0 --to production": (1, ["checkout 3.1.0"]),
    "orgloop experiments list": (0, ["guided-packing", "running", "decided"]),
    "orgloop experiments analyze guided-packing": (0, ["packing-mistakes", "ship"]),
    "orgloop experiments analyze guided-packing --record": (0, ["recorded"]),
    "orgloop experiments decide guided-packing --decision ship --reason "
    '"18% fewer wrongly packed items"': (0, ["guided-packing: ship"]),
    "orgloop experiments learnings --team fulfilment": (0, ["guided-packing", "ship"]),
    "orgloop experiments velocity --team fulfilment": (0, ["median days"]),
    "orgloop analyze examples/experiments/analyze.yaml": (0, ["ship"]),
    "orgloop traces graph": (0, ["checkout", "orders"]),
    "orgloop insights conway": (0, ["discovery", "fulfilment"]),
    "orgloop insights monolith": (0, ["deep-chain"]),
}
"""Exit code and phrases the README promises; any other command must exit 0."""


def tour_commands() -> list[tuple[int, str]]:
    """``(line, command)`` for each command in the shell code blocks of the README's opening and
    its tour (up to "## Documentation"), comments removed."""
    text = README.read_text(encoding="utf-8")
    end = text.index("\n## Documentation")
    commands: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text[:end].splitlines(), start=1):
        if line.startswith("```"):
            fence = line[3:].strip() if fence is None else None
            continue
        if fence == "" and COMMAND.match(line):
            commands.append((number, COMMENT.sub("", line).strip()))
    return commands


def _skipped(command: str) -> str | None:
    return next((why for start, why in NOT_RUN.items() if command.startswith(start)), None)


def test_the_tour_lists_its_commands_and_every_expectation_is_in_it() -> None:
    commands = [command for _, command in tour_commands()]
    assert len(commands) > 25
    assert not [c for c in EXPECT if c not in commands]  # no promise checked that is not shown
    assert all(any(c.startswith(s) for c in commands) for s in NOT_RUN)


@dataclass
class Demo:
    url: str
    token: str


def _lines_until(stream: IO[str], marker: str, seconds: float) -> Iterator[str]:
    deadline = time.monotonic() + seconds
    for line in stream:
        yield line
        if marker in line or time.monotonic() > deadline:
            return


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("tour") / "demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "orgloop.demo", "--data-dir", str(data), "--port", "0",
         "--customers", "6000", "--online", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        out = "".join(_lines_until(process.stdout, READY, 400))
        assert READY in out, out
        found = re.search(r"dashboard:\s+(http://127\.0\.0\.1:\d+)/\?token=(olp_adm_\S+)", out)
        assert found is not None, out
        yield Demo(found[1], found[2])
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def _other_teams_service(folder: Path) -> None:
    """The file the README names: orders (the fulfilment team's), as a team would change it."""
    services = yaml.safe_load_all((ROOT / "examples/shop/catalog/services.yaml").read_text())
    orders = next(d for d in services if d["metadata"]["name"] == "orders")
    orders["metadata"]["description"] = "changed by another team"
    (folder / "some-other-teams-service.yaml").write_text(yaml.safe_dump(orders))


@pytest.mark.slow
def test_the_readme_tour_works_word_for_word(demo: Demo, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    _other_teams_service(tmp_path)
    env = {
        **os.environ,
        "ORGLOOP_URL": demo.url,
        "ORGLOOP_TOKEN": demo.token,
        "ORGLOOP_CONFIG_DIR": str(tmp_path / "config"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "160",
    }
    team_token = ""
    ran = 0
    for number, command in tour_commands():
        if _skipped(command):
            continue
        line = command.replace("<that token>", team_token)
        done = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        shown = done.stdout + done.stderr
        where = f"README.md:{number}: {command}\n{shown}"
        code, phrases = EXPECT.get(command, (0, []))
        assert done.returncode == code, where
        assert "Traceback" not in shown, where
        for phrase in phrases:
            assert phrase in shown, where
        if command == "orgloop tokens create --team checkout --role member":
            secret = re.search(r"olp_[A-Za-z0-9_-]+", done.stdout)  # url-safe: - and _
            assert secret is not None, where
            team_token = secret[0]
        ran += 1
    assert ran >= 25
    assert (tmp_path / "catalog-backup" / "components.yaml").exists()
    assert "response-required-property-removed" in (tmp_path / "api-changes.md").read_text()
