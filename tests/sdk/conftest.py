"""Prints the OpenFeature Gherkin pass counts at the end of a run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.sdk.test_openfeature import COUNTS

    if COUNTS:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()))
        terminalreporter.write_line(f"openfeature-gherkin evaluation.feature: {parts}")
