"""Shared pieces of the contracts tests: the oasdiff conformance summary at the end of a run."""

from __future__ import annotations

import pytest

from orgloop.contracts.openapi.rules import RULES
from tests.contracts import oasdiff_harness


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    verdicts = oasdiff_harness.VERDICTS
    if not verdicts:
        return
    passed = sum(1 for v in verdicts.values() if v.status == "pass")
    failed = sum(1 for v in verdicts.values() if v.status == "fail")
    applicable = passed + failed
    share = 100.0 * passed / applicable if applicable else 0.0
    terminalreporter.section("oasdiff conformance")
    terminalreporter.write_line(f"rule ids implemented: {len(RULES)}")
    terminalreporter.write_line(
        f"applicable cases passing: {passed} / {applicable} ({share:.1f}%); "
        f"not applicable (skipped): {len(verdicts) - applicable}"
    )
