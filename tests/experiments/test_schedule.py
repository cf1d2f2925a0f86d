"""Scheduled analysis: running experiments are analysed and recorded without anyone asking."""

from __future__ import annotations

from fastapi.testclient import TestClient

from orgloop.experiments.schedule import AnalysisSchedule
from tests.experiments.analysis_data import Plan
from tests.experiments.test_lifecycle import Lab, api, created, lab, started

__all__ = ["api", "lab"]  # fixtures used by these tests


def test_a_scheduled_run_records_running_experiments_and_raises_their_alerts(
    api: TestClient, lab: Lab
) -> None:
    lab.use(Plan(units=1500, error_lift=2.0))
    started(api)
    created(api, key="still-a-draft", flag_key="still-a-draft")
    analysed = AnalysisSchedule(lab.service, interval=3600).run_once()
    assert analysed == ["checkout-redesign"]
    alerts = api.get("/api/v1/experiments/checkout-redesign/alerts").json()
    assert [a["kind"] for a in alerts] == ["guardrail"]
    shown = api.get("/api/v1/experiments/checkout-redesign").json()
    assert shown["last_analysis"]["recommendation"] == "kill"
