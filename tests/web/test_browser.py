"""The dashboard in a real browser (Debian's chromium) against a real server on loopback."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.web.conftest import Site

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class Server:
    """uvicorn on a free loopback port in a background thread."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start within 15 s"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[Server]:
    with Server(site.app) as running:
        yield running


@pytest.fixture(scope="module")
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
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield browser
        browser.close()


class Visit:
    """One browser tab, with every URL it requested (to prove nothing left loopback)."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page = page
        self.base = base
        self.shots = shots
        self.requested: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None
        return response

    def heading(self) -> str:
        return str(self.page.locator("h1").inner_text()).strip()

    def seen(self) -> str:
        return str(self.page.locator("main").inner_text())

    def shoot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
def visit(chromium: Any, server: Server, tmp_path: Path) -> Iterator[Visit]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    tab = Visit(context.new_page(), server.url, tmp_path)
    yield tab
    context.close()
    strays = [url for url in tab.requested if not url.startswith("http://127.0.0.1:")]
    assert strays == [], "the dashboard requested something off this machine"


@pytest.fixture
def logged_in(visit: Visit, site: Site) -> Visit:
    """Logged in the way ``make demo`` does it: one link carrying the token."""
    visit.open(f"/?token={site.admin_token}")
    assert "token=" not in visit.page.url
    return visit


def test_logging_in_through_the_form_returns_to_the_page_asked_for(
    visit: Visit, site: Site
) -> None:
    visit.open("/teams")
    assert visit.page.url.startswith(visit.base + "/login")
    visit.page.fill("#token", site.admin_token)
    visit.page.click("button[type=submit]")
    visit.page.wait_for_url(visit.base + "/teams")
    assert visit.heading() == "Teams"
    assert visit.page.context.cookies()[0]["httpOnly"] is True


PAGES = {
    "dashboard": ("/", "Dashboard", ["Business capabilities", "Product discovery", "Checkout"]),
    "teams": ("/teams", "Teams", ["Web Experience", "stream-aligned", "platform"]),
    "team": ("/teams/checkout", "Checkout", ["Grace Hopper", "Tim Okafor", "payments", "Buying"]),
    "service": ("/services/storefront", "storefront", ["Web Experience", "Cart API", "Checkout"]),
    "groups": ("/groups", "Groups", ["Acme Shop", "Digital", "Operations", "Fulfilment"]),
    "graph": ("/graph", "Service dependency graph", ["Discovery", "Platform"]),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_person_sees_each_page(logged_in: Visit, name: str) -> None:
    path, heading, expected = PAGES[name]
    response = logged_in.open(path)
    assert response.status == 200
    assert logged_in.heading() == heading
    seen = logged_in.seen()
    for text in expected:
        assert text in seen, text
    # The stylesheet loaded: the top bar is dark, not the browser's default white.
    bar = logged_in.page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert bar == "rgb(29, 36, 51)"
    logged_in.shoot(name)


def test_the_graph_is_drawn_with_a_box_per_service(logged_in: Visit) -> None:
    logged_in.open("/graph")
    boxes = logged_in.page.locator("svg.graph g.node")
    assert boxes.count() >= 11
    box = logged_in.page.locator("svg.graph").bounding_box()
    assert box is not None
    assert box["width"] > 400
    assert box["height"] > 150


def test_clicking_from_a_team_to_its_service_and_back_to_the_owner(logged_in: Visit) -> None:
    logged_in.open("/teams/checkout")
    logged_in.page.get_by_role("link", name="payments", exact=True).click()
    logged_in.page.wait_for_url(logged_in.base + "/services/payments")
    assert logged_in.heading() == "payments"
    logged_in.page.locator("dd.owner a").click()
    logged_in.page.wait_for_url(logged_in.base + "/teams/checkout")
    assert logged_in.heading() == "Checkout"


def test_an_unknown_team_is_a_page_saying_so(logged_in: Visit) -> None:
    response = logged_in.open("/teams/nobody")
    assert response.status == 404
    assert logged_in.heading() == "Not found"
    assert "no team named 'nobody'" in logged_in.seen()


NEW_PAGES = {
    "deprecations": ("/contracts/deprecations", "Deprecations", ["checkout", "old major version"]),
    "contracts-service": (
        "/contracts/services/orders",
        "orders",
        ["2.0.0", "Breaking", "checkout"],
    ),
    "flags": ("/flags", "Flags", ["one-page-checkout", "staging", "production"]),
    "learnings": ("/experiments/learnings", "Learning log", ["free-shipping-banner", "kill"]),
    "velocity": ("/experiments/velocity", "Experiment velocity", ["2026-01", "Days from start"]),
    "srm": ("/experiments/search-autocomplete", "search-autocomplete", ["Sample ratio mismatch"]),
}


@pytest.mark.parametrize("name", list(NEW_PAGES))
def test_a_person_sees_the_contracts_flags_and_experiments_pages(
    logged_in: Visit, name: str
) -> None:
    path, heading, expected = NEW_PAGES[name]
    assert logged_in.open(path).status == 200
    assert logged_in.heading() == heading
    for text in expected:
        assert text in logged_in.seen(), text
    logged_in.shoot(name)


def test_the_environment_matrix_shows_versions_and_verdicts(logged_in: Visit) -> None:
    logged_in.open("/contracts/environments")
    row = logged_in.page.locator("table.matrix tr", has_text="orders")
    assert "1.1.0" in row.inner_text()
    verdict = row.locator("a.verdict.no").first
    assert verdict.is_visible()
    logged_in.shoot("environments")
    verdict.click()
    logged_in.page.wait_for_url("**/contracts/can-i-deploy?**")
    assert "NO" in logged_in.seen()
    assert "checkout" in logged_in.seen()


def test_the_kill_switch_turns_a_flag_off(logged_in: Visit) -> None:
    logged_in.open("/flags/browser-kill")
    logged_in.page.get_by_role("button", name="Kill browser-kill in staging").click()
    logged_in.page.wait_for_url("**/flags/browser-kill?killed=staging")
    assert "Killed in staging" in logged_in.seen()
    assert logged_in.page.locator("#env-staging .onoff").inner_text() == "off"


def test_the_explainer_says_why_a_unit_gets_its_value(logged_in: Visit) -> None:
    logged_in.open("/flags/one-page-checkout")
    logged_in.page.select_option("#environment", "production")
    logged_in.page.fill("#attributes", '{"id": "user-7", "country": "NL"}')
    logged_in.page.get_by_role("button", name="Explain").click()
    logged_in.page.wait_for_url("**/flags/one-page-checkout?**")
    explained = logged_in.page.locator(".explanation").inner_text()
    assert "force" in explained
    assert "dutch-beta" in explained
    logged_in.shoot("flag")


def test_the_experiment_page_draws_the_forest_plot(logged_in: Visit) -> None:
    logged_in.open("/experiments/one-page-checkout")
    forest = logged_in.page.locator("svg.forest")
    box = forest.bounding_box()
    assert box is not None
    assert box["width"] > 400
    assert box["height"] > 80
    assert forest.locator("circle.point").count() == 3
    assert forest.locator("line.ci").count() == 3
    assert forest.locator("line.zero").count() == 1
    labels = forest.locator("text").all_text_contents()
    assert {"conversion", "revenue", "errors"} <= set(labels)
    label = forest.locator("text", has_text="conversion").bounding_box()
    assert label is not None
    assert label["height"] >= 10
    assert logged_in.page.locator("svg.band polyline.line").count() == 1
    logged_in.shoot("experiment")
