"""Where the third-party conformance suites live: read in place, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITES = Path(os.environ.get("ORGLOOP_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
REQUIRED = os.environ.get("ORGLOOP_REQUIRE_CONFORMANCE") == "1"


def suite(name: str) -> Path:
    """The folder of one suite; skips the calling test with the reason when it is absent.

    With ORGLOOP_REQUIRE_CONFORMANCE=1 (as CI sets it) a missing suite fails the test instead.
    """
    path = SUITES / name
    if not path.exists():
        reason = f"conformance suite {name!r} not found at {path} (set ORGLOOP_CONFORMANCE_DIR)"
        if REQUIRED:
            pytest.fail(f"{reason}; it is required here (ORGLOOP_REQUIRE_CONFORMANCE=1)")
        pytest.skip(reason)
    return path


SUITE_NAMES = (
    "backstage-examples",
    "eppo-ufc",
    "growthbook",
    "oasdiff",
    "openfeature-gherkin",
    "otel-servicegraph",
    "pact-spec",
    "unleash-spec",
)


def missing_suites() -> list[str]:
    """The suites this test run cannot find (several tests skip at collection without them)."""
    return [name for name in SUITE_NAMES if not (SUITES / name).exists()]
