"""The dashboard in a real browser (Debian's chromium) against a real server on loopback."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def tab(chromium: Any, server: Server, shots: Path, **context: Any) -> Iterator[Visit]:
    """A fresh browser context (``viewport``, ``java_script_enabled``, ...) with one tab."""
    browser_context = chromium.new_context(
        **{"viewport": {"width": 1280, "height": 800}, **context}
    )
    opened = Visit(browser_context.new_page(), server.url, shots)
    yield opened
    browser_context.close()
    strays = [url for url in opened.requested if not url.startswith("http://127.0.0.1:")]
    assert strays == [], "the dashboard requested something off this machine"


@pytest.fixture
def visit(chromium: Any, server: Server, tmp_path: Path) -> Iterator[Visit]:
    with tab(chromium, server, tmp_path) as opened:
        yield opened


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


def test_the_kill_switch_asks_in_a_dialog_and_is_undone_from_the_page(logged_in: Visit) -> None:
    page = logged_in.page
    logged_in.open("/flags/browser-kill")
    kill = page.get_by_role("button", name="Kill browser-kill in staging")
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    kill.click()
    assert asked == ["Turn browser-kill off in staging? Everyone there gets the default value false."]  # fmt: skip
    assert page.locator("#env-staging .onoff").inner_text() == "on"  # cancelled: nothing sent
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    kill.click()
    page.wait_for_url("**/flags/browser-kill?killed=staging")
    assert "Killed in staging" in logged_in.seen()
    assert page.locator("#env-staging .onoff").inner_text() == "off"
    page.get_by_role("button", name="Undo the kill of browser-kill in staging").click()
    page.wait_for_url("**/flags/browser-kill?restored=staging")
    assert "Back on in staging" in logged_in.seen()
    assert page.locator("#env-staging .onoff").inner_text() == "on"


def test_without_javascript_the_kill_switch_asks_on_a_page(
    chromium: Any, server: Server, site: Site, tmp_path: Path
) -> None:
    with tab(chromium, server, tmp_path, java_script_enabled=False) as plain:
        plain.open(f"/flags/browser-kill?token={site.admin_token}")
        plain.page.get_by_role("button", name="Kill browser-kill in staging").click()
        plain.page.wait_for_load_state()
        assert plain.heading() == "Kill browser-kill in staging?"
        assert "gets the default value false" in plain.seen()
        plain.page.get_by_role("link", name="Cancel").click()
        plain.page.wait_for_url(plain.base + "/flags/browser-kill")
        assert plain.page.locator("#env-staging .onoff").inner_text() == "on"
        plain.page.get_by_role("button", name="Kill browser-kill in staging").click()
        plain.page.get_by_role("button", name="Yes, turn browser-kill off in staging").click()
        plain.page.wait_for_url("**/flags/browser-kill?killed=staging")
        assert plain.page.locator("#env-staging .onoff").inner_text() == "off"
        plain.shoot("killed")
        plain.page.get_by_role("button", name="Undo the kill of browser-kill in staging").click()
        plain.page.wait_for_url("**/flags/browser-kill?restored=staging")
        assert plain.page.locator("#env-staging .onoff").inner_text() == "on"


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


LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(chromium: Any, server: Server, site: Site, tmp_path: Path) -> Iterator[Visit]:
    """A 1366-px wide screen, logged in."""
    with tab(chromium, server, tmp_path, viewport=LAPTOP) as opened:
        opened.open(f"/?token={site.admin_token}")
        yield opened


def test_the_home_page_says_what_needs_attention(laptop: Visit) -> None:
    laptop.open("/?team=all")
    page = laptop.page
    for section, expected in {
        "refusals": ["orders", "2.0.0 → production", "is not declared in the response body"],
        "decide": ["search-autocomplete", "SRM", "one-page-checkout", "recommends ship"],
        "flags": ["new-header", "killed in production", "free-shipping-banner", "stale"],
        "sunsets": ["orders", "checkout", "days"],
        "broken": ["checkout", "orders 2.0.0"],
    }.items():
        seen = page.locator(f"section#{section}").inner_text()
        for words in expected:
            assert words in seen, (section, words)
    laptop.shoot("home")
    # Every item leads to where one acts: the refusal to can-i-deploy's full answer.
    page.locator("section#refusals a.verdict.no", has_text="production").click()
    page.wait_for_url("**/contracts/can-i-deploy?**")
    assert "NO" in laptop.seen()


def test_choosing_a_team_narrows_the_home_page(laptop: Visit) -> None:
    laptop.open("/?team=all")
    laptop.page.select_option("#team", "discovery")
    laptop.page.get_by_role("button", name="Show").click()
    laptop.page.wait_for_url("**/?team=discovery")
    assert "No flag is killed or stale." in laptop.page.locator("section#flags").inner_text()
    assert "search-autocomplete" in laptop.page.locator("section#decide").inner_text()


def test_moving_from_a_team_to_its_flag_its_experiment_and_back(laptop: Visit) -> None:
    page = laptop.page
    laptop.open("/teams/checkout")
    page.locator("ul.links a", has_text="one-page-checkout").first.click()
    page.wait_for_url(laptop.base + "/flags/one-page-checkout")
    page.locator("dd.experiments a", has_text="one-page-checkout").click()
    page.wait_for_url(laptop.base + "/experiments/one-page-checkout")
    page.locator("dl.facts a", has_text="one-page-checkout").click()
    page.wait_for_url(laptop.base + "/flags/one-page-checkout")
    page.locator("dd.owner a").click()
    page.wait_for_url(laptop.base + "/teams/checkout")


@pytest.mark.parametrize(
    ("path", "chart"),
    [("/experiments/one-page-checkout", "svg.forest"),
     ("/experiments/one-page-checkout", "svg.band"),
     ("/experiments/velocity", "svg.bars")],
    ids=["forest", "cumulative", "velocity"],
)  # fmt: skip
def test_charts_take_their_cards_width_and_stay_readable_at_1366_px(
    laptop: Visit, path: str, chart: str
) -> None:
    laptop.open(path)
    drawn = laptop.page.locator(chart)
    card = laptop.page.locator(f"figure.chart-box:has({chart})")
    box, card_box = drawn.bounding_box(), card.bounding_box()
    assert box is not None
    assert card_box is not None
    padding = laptop.page.eval_on_selector(
        f"figure.chart-box:has({chart})",
        "e => parseFloat(getComputedStyle(e).paddingLeft) + parseFloat(getComputedStyle(e).paddingRight)"
        " + parseFloat(getComputedStyle(e).borderLeftWidth) + parseFloat(getComputedStyle(e).borderRightWidth)",
    )
    assert abs(box["width"] - (card_box["width"] - padding)) <= 2  # the card's whole width
    assert box["x"] + box["width"] <= LAPTOP["width"]  # and nothing to scroll sideways
    heights = [b["height"] for b in (t.bounding_box() for t in drawn.locator("text").all()) if b]
    assert heights, "the chart has no text"
    # Labels about as big as the page's own small text: neither shrunk nor blown up.
    assert min(heights) >= 10
    assert max(heights) <= 24


def test_the_api_docs_render_from_this_machine_only(laptop: Visit) -> None:
    laptop.open("/api/v1/docs")
    # Swagger UI parses 1.5 MB of script and the whole API description: generous on a busy machine.
    laptop.page.locator(".opblock").first.wait_for(timeout=120_000)
    assert laptop.page.locator(".opblock").count() > 20
    assert "orgloop" in laptop.page.locator(".info .title").inner_text()
