"""The traces pages over HTTP: the runtime graph by team, an edge's figures, the waterfall."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Site
from tests.web.test_pages import heading, text
from tests.web.traces_builders import TRACE_ID, ensure_shop_traces


@pytest.fixture(autouse=True)
def shop_traces(site: Site) -> None:
    ensure_shop_traces(site.services, site.services.clock.now())


def test_the_runtime_graph_shows_observed_calls_with_their_figures(browser: TestClient) -> None:
    page = browser.get("/traces")
    assert page.status_code == 200
    assert heading(page.text) == "Runtime service graph"
    seen = text(page.text)
    assert "storefront checkout 20 " in seen  # 20 calls in the window
    assert "checkout payments 20 " in seen
    assert "payments fraud-check 20" in seen
    # storefront does not consume payments-api: observed but undeclared
    assert "storefront payments 20 0.00556/s 0.0% " in seen
    assert seen.count("not declared") >= 1
    assert (
        'class="edge edge-undeclared" data-client="storefront" data-server="payments"' in page.text
    )


def test_the_graph_colours_services_by_team_and_marks_errors(browser: TestClient) -> None:
    data = browser.get("/traces.json").json()
    nodes = {n["id"]: n for n in data["graph"]["nodes"]}
    assert nodes["checkout"]["team"] == "group:default/checkout"
    assert nodes["fraud-check"]["kind"] == "unknown_service"
    svg = browser.get("/traces").text
    colours = data["teams"]
    assert any(c["title"] for c in colours)
    # checkout -> payments fails one call in four: drawn in the 5%-or-more colour
    assert 'data-client="checkout" data-server="payments" d="' in svg
    edge = svg.split('data-client="checkout" data-server="payments"', 1)[1].split(">", 1)[0]
    assert 'stroke="#c62828"' in edge
    assert {u["client"] for u in data["unused"]} >= {"cart"}  # declared, never observed


def test_an_edge_page_splits_by_version_and_variant(browser: TestClient) -> None:
    page = browser.get("/traces/edge", params={"client": "storefront", "server": "checkout"})
    assert page.status_code == 200
    assert heading(page.text) == "storefront → checkout"
    data = browser.get(
        "/traces/edge.json", params={"client": "storefront", "server": "checkout"}
    ).json()
    splits = {s["title"]: [r["value"] for r in s["rows"]] for s in data["splits"]}
    assert splits["Server version"] == ["3.1.0"]
    assert splits["Client version"] == ["5.2.0"]
    assert sorted(splits["Experiment variant"]) == ["checkout-test=a", "checkout-test=b"]
    assert data["figures"]["requests"] == "20"
    assert "<svg" in page.text  # the series over time


def test_an_edge_page_without_both_ends_says_what_is_missing(browser: TestClient) -> None:
    answer = browser.get("/traces/edge.json", params={"client": "storefront"})
    assert answer.status_code == 422
    assert "server" in answer.text


def test_the_waterfall_lists_spans_in_order_with_errors_and_attributes(browser: TestClient) -> None:
    page = browser.get(f"/traces/{TRACE_ID}")
    assert page.status_code == 200
    assert heading(page.text) == f"Trace {TRACE_ID}"
    data = browser.get(f"/traces/{TRACE_ID}.json").json()
    names = [r["span"]["name"] for r in data["rows"]]
    assert names[0] == "GET /checkout"
    assert [r["depth"] for r in data["rows"]][:3] == [0, 1, 2]
    errors = [r["span"]["name"] for r in data["rows"] if r["error"]]
    assert errors == ["POST /pay"]
    assert "card declined" in page.text
    assert "<details>" in page.text  # attributes open on click, no script
    assert "checkout-test=a" in page.text


def test_an_unknown_trace_is_a_404_page_and_a_bad_id_a_422(browser: TestClient) -> None:
    missing = browser.get("/traces/" + "f" * 32)
    assert missing.status_code == 404
    assert "no spans of trace" in missing.text
    assert browser.get("/traces/not-hex.json").status_code == 422


def test_the_navigation_links_the_traces_section(browser: TestClient) -> None:
    assert 'href="/traces"' in browser.get("/").text
