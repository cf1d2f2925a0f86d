"""Prints the Pact conformance pass counts per version and category at the end of a run.

Registered by ``test_pact_conformance`` through ``pytest_plugins``; each case records its outcome
with ``record`` and the terminal summary shows the table.
"""

from __future__ import annotations

from collections import Counter

import pytest

PASSED: Counter[str] = Counter()
TOTAL: Counter[str] = Counter()


def record(group: str, passed: bool) -> None:
    """One case of ``group`` (e.g. ``v3/request``) ran; ``passed`` says how it went."""
    TOTAL[group] += 1
    PASSED[group] += int(passed)


def summary_lines() -> list[str]:
    lines = [f"{group:<16} {PASSED[group]:>4} / {TOTAL[group]:<4}" for group in sorted(TOTAL)]
    lines.append(f"{'total':<16} {sum(PASSED.values()):>4} / {sum(TOTAL.values()):<4}")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TOTAL:
        return
    terminalreporter.section("Pact specification conformance (non-XML cases passed)")
    for line in summary_lines():
        terminalreporter.write_line(line)
