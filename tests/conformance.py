"""Where the third-party conformance suites live: read in place, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITES = Path(os.environ.get("ORGLOOP_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


def suite(name: str) -> Path:
    """The folder of one suite; skips the calling test with the reason when it is absent."""
    path = SUITES / name
    if not path.exists():
        pytest.skip(f"conformance suite {name!r} not found at {path} (set ORGLOOP_CONFORMANCE_DIR)")
    return path
