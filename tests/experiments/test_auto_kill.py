"""An experiment's alert kills its flag where its owners asked for it, audited as the alert's doing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from orgloop.app import Services, create_app
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from tests.catalog.builders import shop_payload
from tests.experiments.analysis_data import METRICS_YAML, Plan, generate

METRICS = yaml.safe_load(METRICS_YAML)["metrics"]
RULE = {
    "kind": "experiment",
    "key": "checkout-redesign",
    "variations": [False, True],
    "meta": [{"key": "control"}, {"key": "treatment"}],
}


def ingest(services: Services, plan: Plan) -> None:
    """The plan's exposures and events, appended to the server's own event store."""
    exposures, events = generate(plan)
    wire = [
        {"id": f"x{i}", "type": "exposure", "unit": u, "experiment": e, "variant": v}
        | {"timestamp": t.isoformat()}
        for i, (u, e, v, t) in enumerate(exposures)
    ] + [
        {"id": f"t{i}", "type": "track", "unit": u, "event": n, "value": value}
        | {"timestamp": t.isoformat()}
        for i, (u, n, value, t) in enumerate(events)
    ]
    now = datetime(2026, 2, 1, tzinfo=UTC)
    batch = parse_batch(json.dumps({"events": wire}).encode(), now=now, limits=IngestLimits())
    services.event_store().append(batch, received_at=now)


@pytest.fixture
def api(services: Services, admin_token: str) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        response = client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
        assert response.status_code == 200, response.text
        yield client


def run_experiment(api: TestClient, **fields: Any) -> dict[str, Any]:
    """The flag on in production and staging, its experiment started, analysed and recorded."""
    on = {"enabled": True, "rules": [RULE]}
    flag: dict[str, Any] = {"key": "checkout-redesign", "owner": "checkout", "type": "boolean"}
    flag |= {"default_value": False, "environments": {"production": on, "staging": on}}
    assert api.post("/api/v1/flags", json=flag).status_code == 201
    body = {
        "key": "checkout-redesign",
        "hypothesis": "A one-page checkout converts more visitors into buyers.",
        "owner": "checkout",
        "flag_key": "checkout-redesign",
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [METRICS[0]],
        "guardrail_metrics": [METRICS[3]],
        **fields,
    }
    created = api.post("/api/v1/experiments", json=body)
    assert created.status_code == 201, created.text
    assert api.post("/api/v1/experiments/checkout-redesign/start").status_code == 200
    report: dict[str, Any] = api.post("/api/v1/experiments/checkout-redesign/analysis").json()
    return report


def enabled(api: TestClient) -> dict[str, bool]:
    flag = api.get("/api/v1/flags/checkout-redesign").json()
    return {env: config["enabled"] for env, config in flag["environments"].items()}


def test_guardrail_breach_kills_the_flag_in_the_named_environments(
    api: TestClient, services: Services
) -> None:
    ingest(services, Plan(units=1500, error_lift=2.0))
    report = run_experiment(api, auto_kill_environments=["production"])
    assert report["recommendation"] == "kill"
    assert enabled(api) == {"production": False, "staging": True}
    history = api.get("/api/v1/flags/checkout-redesign/history").json()["items"]
    assert history[0]["action"] == "flag.kill"
    assert history[0]["actor"].startswith("auto-kill: guardrail alert 1 of experiment")
    assert history[0]["after"]["environments"]["production"]["rules"] == [RULE]  # rules kept
    ruleset = api.get("/api/v1/sdk/ruleset", params={"environment": "production"}).json()
    assert ruleset["flags"]["checkout-redesign"]["enabled"] is False


def test_an_alert_without_auto_kill_leaves_the_flag_on(api: TestClient, services: Services) -> None:
    ingest(services, Plan(units=1500, error_lift=2.0))
    report = run_experiment(api)
    assert report["recommendation"] == "kill"
    assert [a["kind"] for a in api.get("/api/v1/experiments/checkout-redesign/alerts").json()] == [
        "guardrail"
    ]
    assert enabled(api) == {"production": True, "staging": True}


def test_a_healthy_experiment_keeps_its_flag_on(api: TestClient, services: Services) -> None:
    ingest(services, Plan(units=1500, lift=0.4))
    experiment = run_experiment(api, auto_kill_environments=["production", "staging"])
    assert experiment["recommendation"] == "ship"
    assert enabled(api) == {"production": True, "staging": True}
    stored = api.get("/api/v1/experiments/checkout-redesign").json()
    assert stored["auto_kill_environments"] == ["production", "staging"]


def test_auto_kill_environments_are_checked(api: TestClient) -> None:
    body: dict[str, Any] = {"key": "x", "hypothesis": "h", "owner": "checkout", "flag_key": "x"}
    body |= {"variations": [{"key": "a", "weight": 1}, {"key": "b", "weight": 1}]}
    body |= {"primary_metrics": [METRICS[0]], "auto_kill_environments": ["prod uction"]}
    response = api.post("/api/v1/experiments", json=body)
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["error"]["details"]["errors"]]
    assert any(p.startswith("auto_kill_environments") for p in paths), paths
