"""Insights over HTTP and the CLI, on SQLite and PostgreSQL: the catalog and deployments go in
through their own APIs, the reports come out of /api/v1/insights and ``orgloop insights``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from orgloop.kernel.clock import FixedClock
from tests.catalog.builders import shop_payload
from tests.cli import run
from tests.experiments.test_lifecycle import experiment_body
from tests.insights.builders import import_payload, small_org
from tests.insights.ntier import SCENARIO, descriptors


@pytest.fixture
def org(admin: TestClient, clock: FixedClock) -> TestClient:
    """The small organisation, and s1 (team a) with s3 (team b) deployed together to three
    environments a day apart: 3 shared windows of 3 each, co-deploy degree 100."""
    response = admin.post("/api/v1/catalog/import", json=import_payload(small_org()))
    assert response.status_code == 200, response.text
    for environment in ("dev", "staging", "production"):
        for service in ("s1", "s3"):
            body = {"version": "1.0.0", "environment": environment}
            deployed = admin.post(f"/api/v1/services/{service}/deployments", json=body)
            assert deployed.status_code == 201, deployed.text
        clock.advance(days=1)
    return admin


def test_conway_report_over_http(org: TestClient) -> None:
    report = org.get("/api/v1/insights/conway").json()
    assert report["source"] == "declared"
    assert report["congruence"] == pytest.approx(2 / 3)
    assert (report["needs"], report["covered"]) == (3, 2)
    [uncovered] = report["uncovered"]
    assert uncovered["teams"] == ["a", "c"]
    assert uncovered["calls"][0]["source"] == "s5"
    assert report["cross_team_share"] == pytest.approx(0.8)
    assert report["matrix"]["needs"] == [[1, 2, 0], [0, 0, 1], [1, 0, 0]]
    only_b = org.get("/api/v1/insights/conway", params={"team": "b"}).json()
    assert [t["team"] for t in only_b["teams"]] == ["b"]
    assert (only_b["needs"], only_b["congruence"]) == (2, 1.0)  # a-b and b-c, both declared
    only_c = org.get("/api/v1/insights/conway", params={"team": "c"}).json()
    assert (only_c["needs"], only_c["congruence"]) == (2, 0.5)  # b-c declared, a-c not


def test_monolith_report_finds_the_lockstep_pair_and_takes_thresholds(org: TestClient) -> None:
    report = org.get("/api/v1/insights/monolith").json()
    kinds = [(s["kind"], s["severity"]) for s in report["signals"]]
    assert kinds[:2] == [("cycle", "high"), ("lockstep-deploys", "high")]
    lockstep = report["signals"][1]
    assert lockstep["services"] == ["s1", "s3"]
    assert lockstep["evidence"]["degree"] == 100.0
    assert report["deploys"] == 6
    strict = org.get("/api/v1/insights/monolith", params={"min_shared_deploys": 4}).json()
    assert "lockstep-deploys" not in [s["kind"] for s in strict["signals"]]
    assert strict["thresholds"]["min_shared_deploys"] == 4
    recent = org.get("/api/v1/insights/monolith", params={"since": "2026-01-02T00:00:00"}).json()
    assert recent["deploys"] == 4  # staging and production only (a time without zone is UTC)


def test_bad_thresholds_and_unknown_teams_are_clear_errors(org: TestClient) -> None:
    bad = org.get("/api/v1/insights/monolith", params={"min_co_deploy_degree": 300})
    assert bad.status_code == 422
    assert "min_co_deploy_degree" in bad.text
    missing = org.get("/api/v1/insights/teams", params={"team": "zz"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_team_shape_and_velocity_over_http(org: TestClient) -> None:
    teams = {t["team"]: t for t in org.get("/api/v1/insights/teams").json()["teams"]}
    assert teams["b"]["lacks"] == ["database"]
    assert teams["b"]["can_ship_alone"] is False
    velocity = org.get("/api/v1/insights/velocity").json()
    assert velocity["teams"] == []  # no experiments yet


def test_what_if_over_http_and_its_errors_name_file_index_and_field(org: TestClient) -> None:
    body = {"changes": [{"move_service": "s5", "to": "a"}]}
    report = org.post("/api/v1/insights/whatif", json=body).json()
    assert report["after"]["congruence"] == 1.0
    bad = org.post(
        "/api/v1/insights/whatif",
        params={"source": "plan.yaml"},
        json={"changes": [{"move_service": "s5", "to": "nowhere"}]},
    )
    assert bad.status_code == 422
    [error] = bad.json()["error"]["details"]["errors"]
    assert (error["file"], error["index"], error["path"]) == ("plan.yaml", 0, "changes[0].to")


def test_reports_need_a_token(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/insights/conway").status_code == 401


@pytest.mark.usefixtures("cli_env")
def test_the_cli_prints_reports_as_json_and_tables(org: TestClient) -> None:
    conway = run("insights", "conway", "--json")
    assert conway.exit_code == 0, conway.stderr
    assert json.loads(conway.stdout)["congruence"] == pytest.approx(2 / 3)
    table = run("insights", "conway")
    assert "congruence 67% (2 of 3 needs declared)" in table.stdout
    monolith = run("insights", "monolith", "--threshold", "min_shared_deploys=4", "--json")
    assert "lockstep-deploys" not in monolith.stdout
    assert json.loads(monolith.stdout)["thresholds"]["min_shared_deploys"] == 4
    assert run("insights", "monolith", "--threshold", "oops").exit_code == 2
    typo = run("insights", "monolith", "--threshold", "min_degree=60")
    assert typo.exit_code == 2
    assert "min_co_deploy_degree" in typo.stderr
    assert "s1 and s3" in run("insights", "monolith").stdout
    assert "database" in run("insights", "teams", "--team", "b").stdout
    assert run("insights", "velocity", "--json").exit_code == 0


@pytest.mark.usefixtures("cli_env")
def test_the_cli_what_if_on_the_n_tier_example(admin: TestClient, tmp_path: Path) -> None:
    payload = {"entities": [{"descriptor": d, "file": "n-tier.yaml"} for d in descriptors()]}
    assert admin.post("/api/v1/catalog/import", json=payload).status_code == 200
    result = run("insights", "whatif", str(SCENARIO), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["before"]["simulation"]["mean_flow_days"] == 9.49
    assert report["after"]["simulation"]["mean_flow_days"] == 4.78
    assert "handoffs_per_item" in run("insights", "whatif", str(SCENARIO)).stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"changes": [{"move_person": "ann", "to": "nobody"}]}))
    failed = run("insights", "whatif", str(broken))
    assert failed.exit_code == 2
    assert "broken.yaml" in failed.stderr
    assert "changes[0].to" in failed.stderr
    unreadable = tmp_path / "bad.yaml"
    unreadable.write_text("changes: [unclosed")
    assert run("insights", "whatif", str(unreadable)).exit_code == 2


def test_learning_velocity_from_the_experiments_service(
    admin: TestClient, clock: FixedClock
) -> None:
    """Checkout starts three experiments; decides the first after 10 days (ship) and the second
    20 days later (kill). By hand: started 3, decided 2, median (10 + 20) / 2 = 15 days,
    shipped 1/2, killed 1/2, inconclusive 0."""
    assert (
        admin.post("/api/v1/catalog/import", json={"entities": shop_payload()}).status_code == 200
    )
    for key, days, decision in (("first", 10, "ship"), ("second", 20, "kill"), ("third", 0, None)):
        assert admin.post("/api/v1/experiments", json=experiment_body(key=key)).status_code == 201
        assert admin.post(f"/api/v1/experiments/{key}/start").status_code == 200
        clock.advance(days=days)
        if decision:
            body = {"decision": decision, "reason": "by hand"}
            assert admin.post(f"/api/v1/experiments/{key}/decision", json=body).status_code == 201
    [checkout] = admin.get("/api/v1/insights/velocity").json()["teams"]
    assert (checkout["team"], checkout["started"], checkout["decided"]) == ("checkout", 3, 2)
    assert checkout["median_days_to_decision"] == 15.0
    assert (checkout["shipped"], checkout["killed"], checkout["inconclusive"]) == (0.5, 0.5, 0.0)
    later = admin.get("/api/v1/insights/velocity", params={"since": "2026-01-20T00:00:00Z"}).json()
    assert later["teams"][0]["started"] == 1  # "third" started on day 30
