"""No one acts beyond their role on an experiment, on SQLite and PostgreSQL.

Recording an analysis needs write access to the experiment (its alerts can kill its flag); an
automatic kill acts with the owning team's rights and is audited as the alert's doing; exposures
come from SDK keys, admins or the owning team, and a staging key's never count in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services, create_app
from tests.catalog.builders import shop_payload
from tests.experiments.analysis_data import Plan, generate
from tests.experiments.test_auto_kill import METRICS, RULE, enabled, ingest, run_experiment


@pytest.fixture
def api(services: Services, admin_token: str) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        response = client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
        assert response.status_code == 200, response.text
        yield client


def bearer(api: TestClient, role: str, **extra: str) -> dict[str, str]:
    created = api.post("/api/v1/tokens", json={"role": role, "name": f"a {role}", **extra})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


def denied(api: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(
        "/api/v1/audit", params={"action": "access.denied"}
    ).json()["items"]
    return items


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        pytest.param("viewer", {}, id="viewer"),
        pytest.param("member", {"team": "discovery"}, id="another-team"),
        pytest.param("sdk", {"environment": "production"}, id="sdk-key"),
    ],
)
def test_recording_an_analysis_needs_write_access_and_a_refusal_is_audited(
    api: TestClient, services: Services, role: str, extra: dict[str, str]
) -> None:
    ingest(services, Plan(units=1500, error_lift=2.0))
    run_experiment(api, auto_kill_environments=["production"])
    api.post("/api/v1/flags/checkout-redesign/environments/production/toggle?on=true")
    alerts_before = api.get("/api/v1/experiments/checkout-redesign/alerts").json()
    headers = bearer(api, role, **extra)
    response = api.post("/api/v1/experiments/checkout-redesign/analysis", headers=headers)
    assert response.status_code == 403, response.text
    assert api.get("/api/v1/experiments/checkout-redesign/alerts").json() == alerts_before
    assert enabled(api)["production"] is True
    [entry] = denied(api)
    assert entry["actor"].startswith(f"a {role} ({role}")
    assert entry["resource_id"] == "POST /api/v1/experiments/checkout-redesign/analysis"


def test_the_owning_team_records_an_analysis(api: TestClient, services: Services) -> None:
    ingest(services, Plan(units=1500, lift=0.4))
    run_experiment(api)
    headers = bearer(api, "member", team="checkout")
    response = api.post("/api/v1/experiments/checkout-redesign/analysis", headers=headers)
    assert response.status_code == 200, response.text
    assert denied(api) == []


def test_an_automatic_kill_names_the_alert_the_analysis_and_who_recorded_it(
    api: TestClient, services: Services
) -> None:
    ingest(services, Plan(units=1500, error_lift=2.0))
    run_experiment(api, auto_kill_environments=["production"])
    assert enabled(api) == {"production": False, "staging": True}
    [alert] = api.get("/api/v1/experiments/checkout-redesign/alerts").json()
    report = api.get("/api/v1/experiments/checkout-redesign").json()["last_analysis"]
    [kill] = api.get("/api/v1/flags/checkout-redesign/history").json()["items"][:1]
    assert kill["action"] == "flag.kill"
    assert f"guardrail alert {alert['id']} of experiment checkout-redesign" in kill["actor"]
    assert f"analysis of {report['computed_at']}" in kill["actor"]
    assert kill["actor"].endswith("recorded by first-admin (admin)")
    assert "system (admin)" not in kill["actor"]


def test_an_alert_never_kills_another_teams_flag(api: TestClient, services: Services) -> None:
    on = {"enabled": True, "rules": [RULE]}
    flag: dict[str, Any] = {"key": "checkout-redesign", "owner": "discovery", "type": "boolean"}
    flag |= {"default_value": False, "environments": {"production": on}}
    assert api.post("/api/v1/flags", json=flag).status_code == 201
    ingest(services, Plan(units=1500, error_lift=2.0))
    body = {
        "key": "checkout-redesign",
        "hypothesis": "h",
        "owner": "checkout",
        "flag_key": "checkout-redesign",
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [_metric(0)],
        "guardrail_metrics": [_metric(3)],
        "auto_kill_environments": ["production"],
    }
    assert api.post("/api/v1/experiments", json=body).status_code == 201
    assert api.post("/api/v1/experiments/checkout-redesign/start").status_code == 200
    report = api.post("/api/v1/experiments/checkout-redesign/analysis").json()
    assert report["recommendation"] == "kill"
    assert len(api.get("/api/v1/experiments/checkout-redesign/alerts").json()) == 1
    assert enabled(api) == {"production": True}
    history = api.get("/api/v1/flags/checkout-redesign/history").json()["items"]
    assert [h["action"] for h in history] == ["flag.create"]


def _metric(index: int) -> dict[str, Any]:
    metric: dict[str, Any] = METRICS[index]
    return metric


def _exposures(plan: Plan, prefix: str) -> list[dict[str, Any]]:
    exposures, _ = generate(plan)
    sent = "2025-12-31T23:00:00Z"  # before the test clock's now: nothing from the future
    return [
        {"id": f"{prefix}{i}", "type": "exposure", "unit": f"{prefix}-{u}", "experiment": e}
        | {"variant": v, "timestamp": sent}
        for i, (u, e, v, _) in enumerate(exposures)
    ]


def _post(api: TestClient, headers: dict[str, str], events: list[dict[str, Any]]) -> int:
    status = 0
    for start in range(0, len(events), 50):
        body = json.dumps({"events": events[start : start + 50]})
        response = api.post(
            "/api/v1/events",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        status = max(status, response.status_code)
    return status


def test_exposures_come_from_sdk_keys_admins_or_the_owning_team(api: TestClient) -> None:
    run_experiment(api)
    few = _exposures(Plan(units=3), "m")
    other_team = bearer(api, "member", team="discovery")
    assert _post(api, other_team, few) == 403
    owning_team = bearer(api, "member", team="checkout")
    assert _post(api, owning_team, few) == 200
    unknown = [{**few[0], "id": "u1", "experiment": "someone-elses"}]
    assert _post(api, owning_team, unknown) == 403


def test_a_staging_keys_exposures_never_count_in_production(api: TestClient) -> None:
    run_experiment(api)  # environment: production (the default)
    production = bearer(api, "sdk", environment="production")
    staging = bearer(api, "sdk", environment="staging")
    assert _post(api, production, _exposures(Plan(units=40, seed=1), "p")) == 200
    assert _post(api, staging, _exposures(Plan(units=60, seed=2), "s")) == 200
    report = api.get("/api/v1/experiments/checkout-redesign/analysis").json()
    assert sum(report["units"].values()) == 40


def test_an_experiment_runs_in_one_environment(api: TestClient) -> None:
    run_experiment(api, environment="staging")
    experiment = api.get("/api/v1/experiments/checkout-redesign").json()
    assert experiment["environment"] == "staging"
    staging = bearer(api, "sdk", environment="staging")
    production = bearer(api, "sdk", environment="production")
    assert _post(api, staging, _exposures(Plan(units=30, seed=3), "s")) == 200
    assert _post(api, production, _exposures(Plan(units=20, seed=4), "p")) == 200
    report = api.get("/api/v1/experiments/checkout-redesign/analysis").json()
    assert sum(report["units"].values()) == 30
