"""Lockstep and DORA read orgloop's own deployment history (every deployment recorded in the
contracts slice, replaced ones included), over HTTP and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from orgloop.kernel.clock import FixedClock
from tests.cli import run
from tests.insights.builders import import_payload, small_org


def deploy(client: TestClient, service: str, version: str) -> None:
    body = {"version": version, "environment": "production"}
    response = client.post(f"/api/v1/services/{service}/deployments", json=body)
    assert response.status_code == 201, response.text


@pytest.fixture
def history(admin: TestClient, clock: FixedClock) -> TestClient:
    """s1 (team a) deployed to production 4 times, one a day; s3 (team b) deployed in the same
    hour as s1 on the first three days. Each deployment replaces the one before, so only one of
    each is running now: the other five are history only."""
    response = admin.post("/api/v1/catalog/import", json=import_payload(small_org()))
    assert response.status_code == 200, response.text
    for day in range(4):
        deploy(admin, "s1", f"1.{day}.0")
        if day < 3:
            clock.advance(minutes=5)
            deploy(admin, "s3", f"2.{day}.0")
        clock.advance(days=1)
    return admin


def test_lockstep_counts_every_recorded_deployment(history: TestClient, clock: FixedClock) -> None:
    """s1 was deployed in 4 hourly windows, s3 in 3, all 3 of s3's shared with s1: co-deploy
    degree = 100 * shared / mean(windows) = 100 * 3 / ((4 + 3) / 2) = 300 / 3.5 = 85.71 (over
    the 50 of min_co_deploy_degree and the 3 of min_shared_deploys, and the 80 of "high"). The
    clock starts at midnight, so each pair of deployments 5 minutes apart shares its hour. From
    the current deployments alone (one each) there would be no pair at all."""
    report = history.get("/api/v1/insights/monolith").json()
    assert report["deploys"] == 7
    [signal] = [s for s in report["signals"] if s["kind"] == "lockstep-deploys"]
    assert (signal["services"], signal["severity"]) == (["s1", "s3"], "high")
    assert signal["teams"] == ["a", "b"]
    assert signal["evidence"]["shared_windows"] == 3
    assert signal["evidence"]["deploy_windows"] == [4, 3]
    assert signal["evidence"]["degree"] == pytest.approx(85.71)
    # --since bounds the window: from the second day on, s1 has 3 windows and s3 2 shared.
    since = (clock.now() - timedelta(days=3, hours=12)).isoformat()
    recent = history.get("/api/v1/insights/monolith", params={"since": since}).json()
    assert recent["deploys"] == 5
    assert "lockstep-deploys" not in [s["kind"] for s in recent["signals"]]


@pytest.mark.usefixtures("cli_env")
def test_the_cli_finds_the_lockstep_pair_in_the_history(history: TestClient) -> None:
    result = run("insights", "monolith", "--json")
    assert result.exit_code == 0, result.stderr
    [signal] = [s for s in json.loads(result.stdout)["signals"] if s["kind"] == "lockstep-deploys"]
    assert signal["evidence"]["degree"] == pytest.approx(85.71)


def test_dora_deployment_frequency_from_orgloops_own_history(
    history: TestClient, clock: FixedClock
) -> None:
    """s1's 4 deployments in a 14-day window: 4 / 14 days * 7 = 2 per week; s3's 3: 1.5."""
    until = clock.now()
    since = until - timedelta(days=14)
    params = {"since": since.isoformat(), "until": until.isoformat(), "group_by": "service"}
    response = history.get("/api/v1/insights/dora", params=params)
    assert response.status_code == 200, response.text
    groups = {g["key"]: g["metrics"] for g in response.json()["groups"]}
    assert groups["s1"]["deployments"] == 4
    assert groups["s1"]["deploys_per_week"] == pytest.approx(2.0)
    assert groups["s3"]["deploys_per_week"] == pytest.approx(1.5)
    # A window that starts after the second day leaves s1 two deployments.
    late = {**params, "since": (until - timedelta(days=2, hours=12)).isoformat()}
    found = history.get("/api/v1/insights/dora", params={**late, "service": "s1"}).json()
    assert found["groups"][0]["metrics"]["deployments"] == 2
