"""The insights pages: HTML with JSON twins over the small organisation, and a real browser."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services, create_app
from tests.insights.builders import import_payload, small_org
from tests.web.test_browser import ARGS, CHROMIUM, Server


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the pages read through the services, whose tests cover PostgreSQL."""
    return f"sqlite:///{tmp_path / 'orgloop.db'}"


@pytest.fixture
def site(admin: TestClient) -> TestClient:
    assert admin.post("/api/v1/catalog/import", json=import_payload(small_org())).status_code == 200
    return admin


def heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    return found.group(1).strip() if found else ""


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/insights", "Insights"),
        ("/insights/conway", "Conway alignment"),
        ("/insights/monolith", "Distributed-monolith signals"),
        ("/insights/teams", "Team shape"),
        ("/insights/velocity", "Learning velocity"),
        ("/insights/whatif", "What if"),
    ],
)
def test_each_insights_page_and_its_json_twin(site: TestClient, path: str, title: str) -> None:
    page = site.get(path)
    assert page.status_code == 200
    assert heading(page.text) == title
    assert site.get(f"{path}.json").status_code == 200


def test_the_heat_map_marks_the_need_nobody_declared(site: TestClient) -> None:
    html = site.get("/insights/conway").text
    assert "<svg" in html
    assert "a ↔ c: 1 calls, no interaction declared" in html
    assert "a ↔ b: 2 calls, interaction declared" in html
    data = site.get("/insights/conway.json").json()
    assert data["report"]["congruence"] == pytest.approx(2 / 3)
    assert "heat_map" not in data  # drawings are for the HTML page only


def test_monolith_thresholds_come_from_the_form(site: TestClient) -> None:
    default = site.get("/insights/monolith.json").json()
    assert "shared-persistence" in [s["kind"] for s in default["report"]["signals"]]
    raised = site.get("/insights/monolith.json", params={"min_teams_sharing_database": 3}).json()
    assert "shared-persistence" not in [s["kind"] for s in raised["report"]["signals"]]
    bad = site.get("/insights/monolith", params={"max_chain_depth": "deep"})
    assert bad.status_code == 422
    assert "max_chain_depth" in bad.text


def test_the_what_if_page_compares_today_with_the_scenario(site: TestClient) -> None:
    scenario = "changes:\n  - {move_service: s5, to: a}\n"
    page = site.get("/insights/whatif", params={"scenario": scenario})
    assert page.status_code == 200
    assert "Grey: today. Blue: the scenario." in page.text
    data = site.get("/insights/whatif.json", params={"scenario": scenario}).json()
    assert data["result"]["after"]["congruence"] == 1.0
    wrong = site.get("/insights/whatif", params={"scenario": "changes: [{move_service: zz}]"})
    assert wrong.status_code == 422
    assert "changes[0].move_service" in wrong.text


def test_the_dashboard_links_every_insights_page(site: TestClient) -> None:
    links = set(re.findall(r'href="(/insights[^"]*)"', site.get("/").text))
    assert {"/insights/conway", "/insights/monolith", "/insights/whatif"} <= links


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ORGLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required here (ORGLOOP_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
def test_a_person_reads_the_heat_map_and_tries_a_what_if_in_a_browser(
    site: TestClient, services: Services, admin_token: str, chromium: Any
) -> None:
    with Server(create_app(services=services)) as server:
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{server.url}/insights/conway?token={admin_token}")
        assert page.locator("h1").inner_text() == "Conway alignment"
        assert page.locator("figure svg rect").count() == 9  # 3 diagonal + 6 pair cells
        page.goto(f"{server.url}/insights/whatif")
        page.fill("#scenario", "changes:\n  - {move_service: s5, to: a}\n")
        page.get_by_role("button", name="Compare").click()
        page.wait_for_selector("figure svg")
        seen = page.locator("main").inner_text()
        assert "after 1 change(s)" in seen
        assert "congruence" in seen
