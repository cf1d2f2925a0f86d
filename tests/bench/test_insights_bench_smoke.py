"""Smoke test of the insights benchmark on a small organisation (the full run never runs here)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import insights


def test_insights_quick_times_every_report_and_writes_its_json(tmp_path: Path) -> None:
    out = tmp_path / "insights.json"
    result = insights.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == result
    assert set(result["reports"]) == {"conway", "monolith", "teams", "velocity", "whatif"}
    for timing in result["reports"].values():
        assert 0 < timing["seconds"] <= timing["worst_seconds"]
    assert result["size"]["services"] == 120
    assert result["signals"].get("unversioned-api", 0) > 0
