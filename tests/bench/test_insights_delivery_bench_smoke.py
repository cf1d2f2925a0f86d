"""Smoke test of the DORA and flow benchmark's code on tiny data (the benchmark never runs here)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import insights_delivery


def test_quick_run_times_every_report_and_checks_its_numbers(tmp_path: Path) -> None:
    out = tmp_path / "insights_delivery.json"
    code = insights_delivery.main(["--quick", "--out", str(out)])
    result = json.loads(out.read_text())
    assert code == (0 if result["met"] else 1)
    assert set(result["seconds"]) == {
        "dora_by_team",
        "dora_by_service",
        "dora_one_team_weekly",
        "flow_all_teams",
        "flow_one_team_weekly",
    }
    # Two deploys a week per service, and every generated work item finishes inside the year.
    assert 1.9 < result["check"]["deploys_per_week"] / result["services"] < 2.1
    assert result["check"]["items_completed"] == result["work_items"]
    assert 0 < result["check"]["flow_efficiency"] < 1
