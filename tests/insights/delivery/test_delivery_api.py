"""Imports and reports over HTTP, on SQLite and PostgreSQL: the worked fortnight end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.models import TokenCreate
from tests.insights.delivery import builders
from tests.insights.delivery import worked as w

WINDOW = {"since": w.SINCE.isoformat(), "until": w.UNTIL.isoformat()}


@pytest.fixture
def seeded(admin: TestClient, services: Services) -> TestClient:
    builders.seed_catalog(services)
    return admin


def _import(client: TestClient, body: Any, source: str = "json", **params: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"/api/v1/insights/imports/{source}",
        content=content,
        params={"file": "fortnight.json", **params},
    )


def test_imported_fortnight_gives_the_worked_numbers(seeded: TestClient) -> None:
    """The generic JSON of worked.py: 4 deploys in 14 days (2/week, high), lead time median 8 h
    (elite), CFR 25% (low), restore 1.5 h (high); flow: 2 items, median 2 days, efficiency 50%,
    2 hand-offs, waiting on platform 2 days, half unplanned, defect found 5 days after c1."""
    response = _import(seeded, builders.fortnight())
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == {
        "changes": 4,
        "deployments": 4,
        "incidents": 1,
        "work_items": 2,
    }
    dora = seeded.get("/api/v1/insights/dora", params=WINDOW).json()
    [team] = dora["groups"]
    assert team["key"] == "payments"
    m = team["metrics"]
    assert (m["deployments"], m["deploys_per_week"], m["frequency_band"]) == (4, 2.0, "high")
    assert (m["lead_time_median_hours"], m["lead_time_band"]) == (8.0, "elite")
    assert (m["change_failure_rate"], m["failure_rate_band"]) == (0.25, "low")
    assert (m["time_to_restore_median_hours"], m["restore_band"]) == (1.5, "high")
    assert m["band"] == "low"
    flow = seeded.get("/api/v1/insights/flow", params=WINDOW).json()
    [payments] = flow["teams"]
    f = payments["metrics"]
    assert (f["items_completed"], f["flow_time_median_days"], f["flow_efficiency"]) == (2, 2.0, 0.5)
    assert (f["handoffs"], f["waiting_on_other_teams_days"]) == (2, 2.0)
    assert (f["unplanned_share"], f["defect_discovery_median_days"]) == (0.5, 5.0)
    assert flow["capabilities"][0]["key"] == "shopping"
    assert {(h["from_team"], h["to_team"]) for h in flow["handoffs"]} == {
        ("payments", "platform"),
        ("platform", "payments"),
    }


def test_reimport_is_idempotent(seeded: TestClient) -> None:
    first = _import(seeded, builders.fortnight()).json()["stored"]
    again = _import(seeded, builders.fortnight()).json()["stored"]
    assert first == again == {"changes": 4, "deployments": 4, "incidents": 1, "work_items": 2}
    dora = seeded.get("/api/v1/insights/dora", params=WINDOW).json()
    assert dora["total"]["deployments"] == 4


def test_bad_records_are_reported_and_nothing_is_stored(seeded: TestClient) -> None:
    body = builders.fortnight()
    body["deployments"][1]["service"] = "billing"  # not in the catalog
    del body["changes"][2]["time_created"]  # missing field
    body["incidents"][0]["time_resolved"] = "2024-03-08T11:00:00+00:00"  # before it was opened
    body["work_items"][1]["transitions"][2]["at"] = "2024-03-06T00:00:00+00:00"  # backwards
    body["deployments"].append(dict(body["deployments"][0]))  # duplicate deploy_id
    response = _import(seeded, body)
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    where = {(e["file"], e["record"], e["field"]) for e in errors}
    assert ("fortnight.json", "changes[2]", "time_created") in where
    problems = {
        (e["record"], e["field"])
        for e in _import(seeded, _only_semantic(body)).json()["error"]["details"]["errors"]
    }
    assert ("deployments[1]", "service") in problems
    assert ("incidents[0]", "time_resolved") in problems
    assert ("work_items[1]", "transitions.2.at") in problems
    assert ("deployments[4]", "deploy_id") in problems
    stored = seeded.get("/api/v1/insights/dora", params=WINDOW).json()
    assert stored["total"]["deployments"] == 0


def _only_semantic(body: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    body["changes"][2]["time_created"] = "2024-03-07T04:00:00+00:00"
    return body


def test_csv_needs_its_kind_and_names_lines(seeded: TestClient) -> None:
    csv = b"deploy_id,service,time_created\nd9,checkout,2024-03-02T10:00:00Z\nd10,checkout,yesterday\n"
    assert _import(seeded, csv, "csv").status_code == 422
    response = _import(seeded, csv, "csv", kind="deployments")
    assert response.status_code == 422
    [error] = response.json()["error"]["details"]["errors"]
    assert (error["record"], error["field"]) == ("line 3", "time_created")


def test_members_import_only_for_their_own_team(seeded: TestClient, services: Services) -> None:
    def token(**fields: str) -> dict[str, str]:
        secret = services.tokens.create(TokenCreate(**fields), actor=SYSTEM).secret  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {secret}"}

    body = json.dumps(builders.fortnight()).encode()
    url = "/api/v1/insights/imports/json"
    platform = token(role="member", team="platform", name="p")
    assert seeded.post(url, content=body, headers=platform).status_code == 403
    viewer = token(role="viewer", name="v")
    assert seeded.post(url, content=body, headers=viewer).status_code == 403
    assert seeded.get("/api/v1/insights/dora", headers=viewer).status_code == 200
    payments = token(role="member", team="payments", name="m")
    assert seeded.post(url, content=body, headers=payments).status_code == 200


def test_unknown_team_is_not_found(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/insights/flow", params={"team": "nobody"})
    assert response.status_code == 404


def test_changes_imported_after_their_deployments_still_count(seeded: TestClient) -> None:
    """Deployments first (their changes unknown: no lead time yet), then the changes in a
    second file: the lead time median is the worked 8 h."""
    body = builders.fortnight()
    changes = body.pop("changes")
    assert _import(seeded, body).status_code == 200
    before = seeded.get("/api/v1/insights/dora", params=WINDOW).json()["total"]
    assert before["lead_time_median_hours"] is None
    assert _import(seeded, {"changes": changes}).status_code == 200
    after = seeded.get("/api/v1/insights/dora", params=WINDOW).json()["total"]
    assert after["lead_time_median_hours"] == 8.0
    assert after["change_failure_rate"] == 0.25


def test_github_webhooks_end_to_end(seeded: TestClient) -> None:
    """tests/insights/delivery/test_sources.py's events: both commits (08:00 UTC) ship with
    deployment 77 at 10:00 (one listed, one through its push's head): lead time 2 h; the
    incident names aaa1111, so the one deployment failed (100%); restored in 1.5 h."""
    from tests.insights.delivery.test_sources import GITHUB

    response = _import(seeded, GITHUB, "github")
    assert response.status_code == 200, response.text
    assert response.json()["skipped"] == 2
    window = {"since": "2024-03-01T00:00:00Z", "until": "2024-03-02T00:00:00Z"}
    m = seeded.get("/api/v1/insights/dora", params={**window, "service": "checkout"}).json()
    [group] = m["groups"]
    assert group["key"] == "checkout"
    metrics = group["metrics"]
    assert (metrics["deployments"], metrics["changes_deployed"]) == (1, 2)
    assert metrics["lead_time_median_hours"] == 2.0
    assert metrics["change_failure_rate"] == 1.0
    assert metrics["time_to_restore_median_hours"] == 1.5
