"""The DORA and flow pages: HTML with drawn charts, their JSON twins, and a real browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.kernel.auth import SYSTEM
from tests.insights.delivery import builders
from tests.insights.delivery import worked as w
from tests.live import LiveServer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WINDOW = f"since={w.SINCE.date().isoformat()}&until={w.UNTIL.date().isoformat()}"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def site(app_client: TestClient, services: Services, admin_token: str) -> TestClient:
    builders.seed_catalog(services)
    services.delivery.import_file(
        "json", _json(builders.fortnight()), file="fortnight.json", actor=SYSTEM
    )
    app_client.post("/login", data={"token": admin_token})
    return app_client


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data).encode()


def test_dora_page_draws_four_trends_with_levels(site: TestClient) -> None:
    html = site.get(f"/insights/dora?team=payments&{WINDOW}").text
    assert "<h1>DORA</h1>" in html
    assert html.count('<svg class="chart trend"') == 4
    assert 'class="level elite"' in html
    assert "State of DevOps Report 2023" in html
    twin = site.get(f"/insights/dora.json?team=payments&{WINDOW}").json()
    assert not twin.get("charts")  # drawings are HTML only
    [group] = twin["report"]["groups"]
    assert group["metrics"]["change_failure_rate"] == 0.25
    assert [x["deployments"] for x in group["weeks"]] == [2, 2]


def test_flow_page_stacks_active_and_waiting(site: TestClient) -> None:
    html = site.get(f"/insights/flow?{WINDOW}").text
    assert "<h1>Flow</h1>" in html
    assert '<svg class="chart stacked"' in html
    assert "50.0%" in html  # flow efficiency of payments
    twin = site.get(f"/insights/flow.json?{WINDOW}").json()
    assert twin["report"]["teams"][0]["metrics"]["handoffs"] == 2


def test_a_bad_date_is_an_error_page_not_a_crash(site: TestClient) -> None:
    response = site.get("/insights/dora.json?since=last-week")
    assert response.status_code == 422


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ORGLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"a browser is required here (ORGLOOP_REQUIRE_BROWSER=1) but there is {reason}"
            )
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"], headless=True
        )
        yield browser
        browser.close()


@pytest.mark.browser
def test_the_pages_in_a_browser(
    site: TestClient, live_server: LiveServer, admin_token: str, chromium: Any
) -> None:
    page = chromium.new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/insights/dora?token={admin_token}")
    page.goto(f"{live_server.url}/insights/dora?team=payments&{WINDOW}")
    assert page.locator("h1").inner_text().strip() == "DORA"
    assert page.locator("svg.trend").count() == 4
    assert page.locator("svg.trend polyline.line").count() >= 1
    page.select_option("#team", "payments")
    page.click("form.filter button[type=submit]")
    page.goto(f"{live_server.url}/insights/flow?{WINDOW}")
    box = page.locator("svg.stacked").bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert page.locator("svg.stacked rect.waiting").count() >= 1
    assert "payments" in page.locator("main").inner_text()
    assert [u for u in requested if not u.startswith("http://127.0.0.1:")] == []
