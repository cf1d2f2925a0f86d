"""A deployment recorded after the fact: ``started_at`` puts it in the history where it happened,
never in the future and never before what it replaces; audited with its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from orgloop.kernel.clock import FixedClock
from tests.contracts.test_registry_api import api

__all__ = ["api"]


def deploy_at(client: TestClient, version: str, at: datetime | str | None) -> Any:
    body: dict[str, Any] = {"version": version, "environment": "production"}
    if at is not None:
        body["started_at"] = at if isinstance(at, str) else at.isoformat()
    return client.post("/api/v1/services/orders/deployments", json=body)


def test_history_recorded_after_the_fact_keeps_its_times(
    api: TestClient, clock: FixedClock
) -> None:
    now = clock.now()
    three_days_ago, yesterday = now - timedelta(days=3), now - timedelta(days=1)
    assert deploy_at(api, "1.0.0", three_days_ago).status_code == 201
    response = deploy_at(api, "1.1.0", yesterday)
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["started_at"]) == yesterday
    assert deploy_at(api, "1.2.0", None).status_code == 201  # no time: now
    items = api.get("/api/v1/deployments/history").json()["items"]
    times = [(i["version"], datetime.fromisoformat(i["started_at"])) for i in items]
    assert times == [("1.0.0", three_days_ago), ("1.1.0", yesterday), ("1.2.0", now)]
    assert datetime.fromisoformat(items[0]["ended_at"]) == yesterday  # replaced back then
    audit = api.get("/api/v1/audit", params={"action": "contracts.deployment"}).json()["items"]
    recorded = {a["after"]["version"]: a["after"]["started_at"] for a in audit if a["after"]}
    assert datetime.fromisoformat(recorded["1.1.0"]) == yesterday


def test_a_deployment_cannot_start_in_the_future_or_before_what_it_replaces(
    api: TestClient, clock: FixedClock
) -> None:
    now = clock.now()
    future = deploy_at(api, "1.0.0", now + timedelta(minutes=5))
    assert future.status_code == 422, future.text
    assert "future" in future.text
    naive = deploy_at(api, "1.0.0", "2025-12-31T09:00:00")
    assert naive.status_code == 422
    assert "time-zone" in naive.text
    assert deploy_at(api, "1.0.0", now - timedelta(days=1)).status_code == 201
    earlier = deploy_at(api, "1.1.0", now - timedelta(days=2))
    assert earlier.status_code == 422, earlier.text
    assert "orders 1.0.0 in production started at" in earlier.text
    # Nothing changed: 1.0.0 still runs, from the day before.
    items = api.get("/api/v1/deployments/history").json()["items"]
    assert [(i["version"], i["current"]) for i in items] == [("1.0.0", True)]
    assert datetime.fromisoformat(items[0]["started_at"]).astimezone(UTC) == now - timedelta(days=1)
