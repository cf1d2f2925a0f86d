"""The traces pages in a real browser (Debian's chromium): the graph, an edge, the waterfall."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site
from tests.web.test_browser import Visit, chromium, logged_in, server, visit  # noqa: F401
from tests.web.traces_builders import TRACE_ID, ensure_shop_traces

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def shop_traces(site: Site) -> None:
    ensure_shop_traces(site.services, site.services.clock.now())


def test_the_runtime_graph_is_drawn_and_an_edge_opens_its_page(logged_in: Visit) -> None:  # noqa: F811
    logged_in.open("/traces")
    assert logged_in.heading() == "Runtime service graph"
    page = logged_in.page
    assert page.locator("svg.runtime g.node").count() >= 4
    assert page.locator("path.edge-undeclared").count() == 1
    assert page.locator("path.edge-unused").count() >= 1
    logged_in.shoot("traces-graph")
    drawn = page.locator('a:has(path[data-client="storefront"][data-server="checkout"])')
    assert "client=storefront&server=checkout" in (drawn.get_attribute("href") or "")
    page.locator('table.edges a[href*="client=storefront&server=checkout"]').click()
    page.wait_for_load_state()
    assert logged_in.heading() == "storefront → checkout"
    assert "checkout-test=a" in logged_in.seen()


def test_clicking_a_span_shows_its_attributes(logged_in: Visit) -> None:  # noqa: F811
    logged_in.open(f"/traces/{TRACE_ID}")
    row = logged_in.page.locator("li.span.error")
    assert row.count() == 1
    assert not row.locator("table.attributes").is_visible()
    row.locator("summary").click()
    assert row.locator("table.attributes").is_visible()
    assert "card declined" in row.inner_text()
    logged_in.shoot("trace-waterfall")
