"""orgloop's diff against oasdiff's own breaking-change fixtures (see ``oasdiff_harness``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from orgloop.contracts.openapi.rules import RULES
from tests.conformance import SUITES, suite
from tests.contracts import oasdiff_harness


def _cases() -> list[Any]:
    manifest = SUITES / "oasdiff" / "manifest.json"
    if not manifest.exists():
        return [pytest.param(None, id="suite-missing")]
    cases = json.loads(manifest.read_text())["cases"]
    seen: Counter[str] = Counter()
    params = []
    for case in cases:
        seen[case["name"]] += 1
        suffix = f"-{seen[case['name']]}" if seen[case["name"]] > 1 else ""
        params.append(pytest.param(case, id=f"{case['name']}{suffix}"))
    return params


@pytest.fixture(scope="module")
def root() -> Path:
    return suite("oasdiff")


@pytest.mark.parametrize("case", _cases())
def test_oasdiff_case(
    root: Path, case: dict[str, Any] | None, request: pytest.FixtureRequest
) -> None:
    assert case is not None
    verdict, found = oasdiff_harness.judge(root, case)
    oasdiff_harness.VERDICTS[request.node.name] = verdict
    if verdict.status == "skip":
        pytest.skip(verdict.reason)
    gap = oasdiff_harness.KNOWN_GAPS.get(case["name"])
    if gap is not None and verdict.status == "fail":
        pytest.xfail(f"known gap: {gap}")
    assert gap is None, f"{case['name']} passes now: remove it from KNOWN_GAPS"
    assert verdict.status == "pass", f"{verdict.reason} (found {sorted(set(found))})"


def test_rule_ids_and_levels_match_oasdiff(root: Path) -> None:
    oasdiff = {r["id"]: r["level"] for r in json.loads((root / "rules.json").read_text())}
    names = {"ERR": "error", "WARN": "warning", "INFO": "info"}
    mismatched = {
        i: (r.level, oasdiff.get(i))
        for i, r in RULES.items()
        if names.get(oasdiff.get(i, "")) != r.level
    }
    assert not mismatched


def test_coverage_targets(root: Path) -> None:
    verdicts = [oasdiff_harness.judge(root, case)[0] for case in oasdiff_harness.load_cases(root)]
    passed = sum(v.status == "pass" for v in verdicts)
    applicable = passed + sum(v.status == "fail" for v in verdicts)
    assert len(RULES) >= 150
    assert passed >= 0.9 * applicable
