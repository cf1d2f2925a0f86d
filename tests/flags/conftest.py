"""Shared pieces of the flags tests: conformance pass counts printed at the end of a run, and the
live server the CLI tests talk to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgloop.app import Services
from tests.live import LiveServer
from tests.sdk.server import add_team, flags_app

_SUITES = {
    "test_growthbook_conformance.py": "growthbook",
    "test_eppo_oracle.py": "eppo-ufc",
    "test_unleash_oracle.py": "unleash-spec",
}
_COUNTS: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))


def _place(nodeid: str) -> tuple[str, str] | None:
    path, _, rest = nodeid.partition("::")
    suite = _SUITES.get(path.rsplit("/", 1)[-1])
    if suite is None:
        return None
    category = rest.split("[", 1)[0].removeprefix("test_")
    return suite, category


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    place = _place(report.nodeid)
    if place is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _COUNTS[place[0]][place[1]][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _COUNTS:
        return
    terminalreporter.section("flags conformance")
    for suite, categories in sorted(_COUNTS.items()):
        for category, counts in sorted(categories.items()):
            line = f"{suite}: {category}: {counts['passed']} passed / {counts['skipped']} skipped"
            if counts["failed"]:
                line += f" / {counts['failed']} FAILED"
            terminalreporter.write_line(line)


@pytest.fixture
def server(
    services: Services, admin_token: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LiveServer]:
    """The flags app on a real port; the CLI's environment points at it as an admin."""
    add_team(services, "checkout")
    with LiveServer(flags_app(services)) as live:
        monkeypatch.setenv("ORGLOOP_URL", live.url)
        monkeypatch.setenv("ORGLOOP_TOKEN", admin_token)
        monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
        yield live
