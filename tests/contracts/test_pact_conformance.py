"""The Pact specification's own test cases (v2, v3), read in place from the conformance folder.

A case matches exactly when our matcher reports no mismatch. XML bodies are not implemented (they
are compared as text at best), so XML cases are skipped with that reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgloop.contracts.pact import match_message, match_request, match_response
from orgloop.contracts.pact.body import Mismatch
from orgloop.contracts.pact.parts import read_request, read_response
from tests.conformance import SUITES, suite

pytest_plugins = ["tests.contracts.pact_summary"]

ROOT = SUITES / "pact-spec"
CASES = sorted(ROOT.glob("v*/**/*.json")) if ROOT.exists() else []


def case_id(path: Path) -> str:
    return str(path.relative_to(ROOT).with_suffix(""))


def is_xml(case: dict[str, Any]) -> bool:
    """XML cases: an XML content type, or a body that is an XML document."""
    for side in ("expected", "actual"):
        part = case.get(side, {})
        headers = {k.lower(): v for k, v in (part.get("headers") or {}).items()}
        body = part.get("body")
        if "xml" in str(headers.get("content-type", "")).lower():
            return True
        if isinstance(body, str) and body.lstrip().startswith("<"):
            return True
    return False


def run_case(path: Path) -> tuple[dict[str, Any], list[Mismatch]]:
    case = json.loads(path.read_text())
    version, kind = path.relative_to(ROOT).parts[:2]
    major = int(version.lstrip("v"))
    expected, actual = case["expected"], case["actual"]
    if kind == "request":
        found = match_request(read_request(expected, major, "$.expected"), read_request(actual, major, "$.actual"))  # fmt: skip
    elif kind == "response":
        found = match_response(read_response(expected, major, "$.expected"), read_response(actual, major, "$.actual"))  # fmt: skip
    else:
        found = match_message(expected, actual, major=major)
    return case, found


@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    if is_xml(case):
        pytest.skip("XML bodies are not supported by orgloop's Pact matcher")
    case, mismatches = run_case(path)
    group = "/".join(path.relative_to(ROOT).parts[:2])
    passed = (not mismatches) == case["match"]
    from tests.contracts import pact_summary  # registered as a plugin above: import it late

    pact_summary.record(group, passed)
    detail = "; ".join(f"{m.path}: {m.message}" for m in mismatches) or "no mismatch"
    assert passed, f"{case['comment']!r}: expected match={case['match']}, got {detail}"


def test_every_non_xml_case_passes_and_counts_are_printed() -> None:
    suite("pact-spec")
    counts: dict[str, list[int]] = {}
    for path in CASES:
        case = json.loads(path.read_text())
        if is_xml(case):
            continue
        case, mismatches = run_case(path)
        group = "/".join(path.relative_to(ROOT).parts[:2])
        tally = counts.setdefault(group, [0, 0])
        tally[0] += int((not mismatches) == case["match"])
        tally[1] += 1
    for group, (passed, total) in sorted(counts.items()):
        print(f"pact conformance {group}: {passed}/{total}")
    assert sum(t for _, t in counts.values()) >= 300
    assert all(passed == total for passed, total in counts.values()), counts
