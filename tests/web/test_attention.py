"""The home page says what needs attention, pages link to each other as a person moves, numbers
read well (p-values, guardrails without data), and the API docs load nothing from another host."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.kernel.auth import Principal
from orgloop.kernel.models import TokenCreate
from orgloop.web import attentionexperiments
from orgloop.web.experimentviews import guardrail_state
from orgloop.web.render import pvalue
from tests.web.builders import START, SUNSET
from tests.web.conftest import Site
from tests.web.test_pages import text

NOW = START + timedelta(days=4, hours=12)
"""Where the site's clock stands once it is built."""


def home(client: TestClient, **query: str) -> dict[str, Any]:
    response = client.get("/.json", params=query)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def links(html: str) -> set[str]:
    return set(re.findall(r'href="(/[^"]*)"', html.replace("&amp;", "&")))


# -- the home page ----------------------------------------------------------------------------


def test_deploys_can_i_deploy_refuses_are_listed_with_why(browser: TestClient) -> None:
    data = home(browser, team="all")
    refused = {(r["service"], r["version"], r["environment"]) for r in data["refusals"]}
    assert refused == {("orders", "2.0.0", "staging"), ("orders", "2.0.0", "production")}
    [reason] = data["refusals"][0]["reasons"]
    assert reason["kind"] == "breaks_consumer"
    assert "'total'" in reason["detail"]
    html = browser.get("/", params={"team": "all"}).text
    assert "/contracts/can-i-deploy?service=orders&version=2.0.0&environment=production" in links(html)  # fmt: skip
    assert "is not declared in the response body" in text(html)


def test_experiments_ready_to_decide_come_with_their_alerts_first(browser: TestClient) -> None:
    ready = home(browser, team="all")["experiments"]
    assert [e["key"] for e in ready] == ["search-autocomplete", "one-page-checkout"]
    srm, clear = ready
    assert srm["alerts"][0]["kind"] == "srm"
    assert not clear["alerts"]
    assert clear["recommendation"] == "ship"
    assert clear["why"][0].startswith("recommends ship")
    seen = text(browser.get("/", params={"team": "all"}).text)
    assert seen.index("search-autocomplete") < seen.index("one-page-checkout")
    assert "SRM" in seen


def test_flags_killed_or_stale_say_what_happened(browser: TestClient) -> None:
    flags = {(f["key"], f["problem"]): f for f in home(browser, team="all")["flags"]}
    killed = flags[("new-header", "killed")]
    assert killed["environment"] == "production"
    assert killed["href"] == "/flags/new-header#env-production"
    assert "killed by system (admin)" in killed["detail"]
    stale = flags[("free-shipping-banner", "stale")]
    assert "experiment free-shipping-banner was decided (kill)" in stale["detail"]
    assert "undo on its page" in browser.get("/", params={"team": "all"}).text


def test_a_flag_off_everywhere_for_a_month_is_stale(site: Site) -> None:
    s = site.services
    viewer = Principal(token_id="t", name="reader", role="viewer")
    soon = attentionexperiments.flags_to_look_at(
        s.flags, s.experiments, "discovery", principal=viewer, now=NOW
    )
    later = attentionexperiments.flags_to_look_at(
        s.flags, s.experiments, "discovery", principal=viewer, now=NOW + timedelta(days=40)
    )
    assert soon == []
    [stale] = later
    assert (stale["key"], stale["problem"]) == ("search-ranking", "stale")
    assert "off everywhere and unchanged for 44 days" in stale["detail"]


def test_apis_near_sunset_and_the_consumers_a_version_breaks(browser: TestClient) -> None:
    data = home(browser, team="all")
    [use] = [u for u in data["sunsets"] if u["environment"] == "production"]
    assert (use["provider"], use["consumer"], use["consumer_version"]) == ("orders", "checkout", "1.0.0")  # fmt: skip
    assert use["sunset"] == SUNSET.isoformat()
    assert use["days_left"] == (SUNSET - NOW.date()).days
    assert use["href"] == "/contracts/deprecations?provider=orders"
    broken = {(b["consumer"], b["provider"], b["provider_version"], b["environment"]) for b in data["broken"]}  # fmt: skip
    assert broken == {("checkout", "orders", "2.0.0", "staging"), ("checkout", "orders", "2.0.0", "production")}  # fmt: skip
    seen = text(browser.get("/", params={"team": "all"}).text)
    assert f"in {use['days_left']} days" in seen


def test_a_team_sees_what_concerns_it_and_empty_lists_say_so(browser: TestClient) -> None:
    data = home(browser, team="discovery")
    assert data["scope"]["title"] == "Discovery"
    assert [e["key"] for e in data["experiments"]] == ["search-autocomplete"]
    assert data["refusals"] == data["broken"] == data["sunsets"] == data["flags"] == []
    seen = text(browser.get("/", params={"team": "discovery"}).text)
    for empty in [
        "can-i-deploy says yes (or cannot tell yet) to every newest published version.",
        "No flag is killed or stale.",
        "No API in use is past its sunset or within 30 days of it.",
        "No published version breaks a consumer's contract.",
    ]:
        assert empty in seen
    # The consumer's team sees the version that breaks it, and its API's sunset.
    checkout = home(browser, team="checkout")
    assert checkout["refusals"] == []
    assert {b["consumer"] for b in checkout["broken"]} == {"checkout"}
    assert {u["consumer"] for u in checkout["sunsets"]} == {"checkout"}


def test_a_member_sees_their_own_team_first(site: Site) -> None:
    secret = site.services.tokens.create(
        TokenCreate(role="member", name="ada", team="discovery"), actor=_admin()
    ).secret
    with TestClient(site.app) as client:
        client.post("/login", data={"token": secret})
        assert home(client)["scope"]["team"] == "discovery"
        assert home(client, team="all")["scope"]["team"] is None
        assert '<option value="discovery" selected>Discovery (your team)</option>' in client.get("/").text  # fmt: skip


def test_an_unknown_team_is_a_404(browser: TestClient) -> None:
    response = browser.get("/", params={"team": "nobody"})
    assert response.status_code == 404
    assert "no team named &#39;nobody&#39;" in response.text


def test_every_link_of_the_home_page_opens_a_page(browser: TestClient) -> None:
    html = browser.get("/", params={"team": "all"}).text
    for href in sorted(links(html)):
        path = href.split("#")[0]
        if path.startswith("/static/"):
            continue
        assert browser.get(path).status_code == 200, href


# -- pages link to each other -----------------------------------------------------------------


def test_a_team_page_links_to_its_flags_experiments_and_deploys(browser: TestClient) -> None:
    html = browser.get("/teams/checkout").text
    found = links(html)
    assert {"/flags/one-page-checkout", "/experiments/one-page-checkout", "/services/checkout"} <= found  # fmt: skip
    assert {"/flags?team=checkout", "/experiments?team=checkout", "/insights/dora?team=checkout"} <= found  # fmt: skip
    deploys = browser.get("/teams/checkout.json").json()["related"]["deploys"]
    assert {(d["service"], d["version"], d["environment"]) for d in deploys} == {
        ("checkout", "1.0.0", "staging"), ("checkout", "1.0.0", "production"),
    }  # fmt: skip
    assert "/contracts/services/checkout" in found


def test_a_service_page_links_to_its_contracts_flags_and_experiments(browser: TestClient) -> None:
    html = browser.get("/services/orders").text
    assert "/contracts/services/orders" in links(html)
    seen = text(html)
    assert "3 API versions published, the newest 2.0.0" in seen
    assert "Runs 1.1.0 in staging, 1.1.0 in production" in seen
    checkout = links(browser.get("/services/checkout").text)
    assert {"/contracts/services/checkout", "/flags/one-page-checkout", "/experiments/one-page-checkout"} <= checkout  # fmt: skip


def test_a_flag_links_to_its_experiment_and_back(browser: TestClient) -> None:
    assert "/experiments/one-page-checkout" in links(browser.get("/flags/one-page-checkout").text)
    assert "/flags/one-page-checkout" in links(browser.get("/experiments/one-page-checkout").text)
    experiments = browser.get("/flags/free-shipping-banner.json").json()["experiments"]
    assert [(e["key"], e["status"], e["decision"]) for e in experiments] == [
        ("free-shipping-banner", "decided", "kill")
    ]


def test_an_experiment_whose_flag_does_not_exist_names_it_without_a_dead_link(
    browser: TestClient,
) -> None:
    """search-autocomplete's flag was never created: neither page links to a 404."""
    listed = browser.get("/experiments")
    assert "/flags/search-autocomplete" not in links(listed.text)
    assert "/flags/one-page-checkout" in links(listed.text)  # an existing flag is still linked
    assert "(no such flag)" in text(listed.text)
    page = browser.get("/experiments/search-autocomplete")
    assert "/flags/search-autocomplete" not in links(page.text)
    assert "no such flag: create it before starting" in text(page.text)
    assert browser.get("/flags/search-autocomplete").status_code == 404


# -- numbers that read well -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.0, "< 0.0001"), (3e-12, "< 0.0001"), (0.00012, "0.0001"), (0.0021, "0.0021"),
     (0.0432, "0.043"), (1.0, "1.000"), (None, "—")],
    ids=["zero", "tiny", "just-above", "small", "usual", "one", "none"],
)  # fmt: skip
def test_p_values_are_never_shown_as_zero(p: float | None, shown: str) -> None:
    assert pvalue(p) == shown


def test_the_experiment_page_shows_small_p_values_as_below_a_bound(browser: TestClient) -> None:
    html = browser.get("/experiments/one-page-checkout").text
    cells = re.findall(r'<td class="num">([^<]*)</td><td><span class="verdict', html)
    assert cells, "no p-value column"
    assert "&lt; 0.0001" in cells
    assert not any(re.fullmatch(r"0(\.0+)?|0e\+?0+", c) for c in cells)
    assert "(p &lt; 0.0001)" in browser.get("/experiments/search-autocomplete").text


def test_a_guardrail_without_data_says_so(browser: TestClient) -> None:
    data = browser.get("/experiments/search-autocomplete.json").json()
    states = {g["metric"]: g["state"] for g in data["guardrails"]}
    assert states == {"errors": "holding", "refunds": "no data yet"}
    row = re.search(r"<tr[^>]*><td>refunds</td>.*?</tr>", browser.get("/experiments/search-autocomplete").text)  # fmt: skip
    assert row, "no refunds guardrail row"
    assert "no data yet" in row.group(0)
    assert "holding" not in row.group(0)
    assert guardrail_state({"verdict": "worse", "lift": 0.2}) == "breached"


# -- API docs offline -------------------------------------------------------------------------


def test_the_api_docs_load_only_from_this_server(anonymous: TestClient) -> None:
    page = anonymous.get("/api/v1/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    assert not re.search(r"(https?:)?//", page.text.replace("window.location.origin", ""))
    assets = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    for asset in assets:
        served = anonymous.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset
    assert anonymous.get("/api/v1/openapi.json").status_code == 200


def _admin() -> Principal:
    return Principal(token_id="admin", name="admin", role="admin")
