"""The dashboard over HTTP: logging in, what each page shows, JSON twins, escaping, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.catalog.models import DescriptorIn
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.models import TokenCreate
from orgloop.web.session import COOKIE
from tests.web.conftest import Site, import_shop, web_app

PAGES = {
    "dashboard": ("/", "Dashboard"),
    "teams": ("/teams", "Teams"),
    "team": ("/teams/checkout", "Checkout"),
    "services": ("/services", "Services"),
    "service": ("/services/storefront", "storefront"),
    "apis": ("/apis", "APIs"),
    "api": ("/apis/catalog-api", "Catalog API"),
    "systems": ("/systems", "Systems"),
    "system": ("/systems/buying", "Buying"),
    "groups": ("/groups", "Groups"),
    "graph": ("/graph", "Service dependency graph"),
}
PAGE_IDS = list(PAGES)


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, "the page has no <h1>"
    return match.group(1).strip()


def text(html: str) -> str:
    """What a reader sees, roughly: tags stripped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- logging in -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGE_IDS)
def test_pages_send_a_browser_without_a_token_to_the_login_form(
    anonymous: TestClient, page: str
) -> None:
    path, _ = PAGES[page]
    response = anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert anonymous.get(response.headers["location"]).status_code == 200


def test_json_twins_without_a_token_answer_401_in_the_error_shape(anonymous: TestClient) -> None:
    response = anonymous.get("/teams.json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_login_form_sets_an_httponly_strict_cookie_and_returns_to_the_page(
    anonymous: TestClient, site: Site
) -> None:
    response = anonymous.post("/login", data={"token": site.admin_token, "next": "/teams/checkout"})
    assert response.status_code == 303
    assert response.headers["location"] == "/teams/checkout"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert heading(anonymous.get("/teams/checkout").text) == "Checkout"


def test_a_wrong_token_shows_the_form_again_and_sets_no_cookie(anonymous: TestClient) -> None:
    response = anonymous.post("/login", data={"token": "olp_adm_wrong", "next": "/"})
    assert response.status_code == 401
    assert "unknown or revoked" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example"],
    ids=["scheme-relative", "absolute", "backslash"],
)
def test_login_never_redirects_off_the_server(
    anonymous: TestClient, site: Site, target: str
) -> None:
    response = anonymous.post("/login", data={"token": site.admin_token, "next": target})
    assert response.headers["location"] == "/"


def test_a_token_in_the_link_logs_in_once_and_leaves_the_address(
    anonymous: TestClient, site: Site
) -> None:
    response = anonymous.get(f"/teams/checkout?token={site.admin_token}&tab=members")
    assert response.status_code == 303
    assert response.headers["location"] == "/teams/checkout?tab=members"
    assert site.admin_token not in response.headers["location"]
    assert anonymous.get("/teams/checkout").status_code == 200


def test_a_wrong_token_in_the_link_shows_the_login_form(anonymous: TestClient) -> None:
    response = anonymous.get("/teams?token=olp_adm_wrong")
    assert response.status_code == 401
    assert "unknown or revoked" in response.text
    assert "set-cookie" not in response.headers


def test_logging_out_forgets_the_token(browser: TestClient) -> None:
    response = browser.post("/logout")
    assert response.status_code == 303
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    assert browser.get("/").status_code == 303


def test_scripts_may_send_a_bearer_token_instead(anonymous: TestClient, site: Site) -> None:
    response = anonymous.get("/teams.json", headers={"Authorization": f"Bearer {site.admin_token}"})
    assert response.status_code == 200


def test_an_sdk_key_may_not_read_the_dashboard(anonymous: TestClient, site: Site) -> None:
    sdk = site.services.tokens.create(
        TokenCreate(role="sdk", environment="production"), actor=SYSTEM
    )
    anonymous.post("/login", data={"token": sdk.secret})
    response = anonymous.get("/teams")
    assert response.status_code == 403
    assert "SDK key" in response.text


# -- what the pages show ----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGE_IDS)
def test_every_page_renders_with_its_heading_and_safe_headers(
    browser: TestClient, page: str
) -> None:
    path, title = PAGES[page]
    response = browser.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert heading(response.text) == title
    assert "default-src 'self'" in response.headers["content-security-policy"]
    # Nothing is loaded from elsewhere: every src and stylesheet is a path on this server.
    assert not re.search(r'(src|href)="(https?:)?//', response.text)


def test_every_link_on_the_dashboard_leads_to_a_page(browser: TestClient) -> None:
    html = browser.get("/").text
    links = set(re.findall(r'href="(/[^"]*)"', html))
    assert {"/teams", "/flags", "/experiments", "/insights", "/contracts/can-i-deploy"} <= links
    for href in sorted(links):
        assert browser.get(href).status_code == 200, href


def test_the_insights_page_links_each_insight(browser: TestClient) -> None:
    response = browser.get("/insights")
    assert response.status_code == 200
    assert 'href="/insights/conway"' in response.text
    assert "Conway alignment" in response.text


def test_the_dashboard_counts_the_catalog_and_lists_capabilities_with_owners(
    browser: TestClient,
) -> None:
    data = browser.get("/.json").json()
    assert data["counts"] == {"teams": 5, "services": 11, "apis": 10, "systems": 3}
    owners = {c["name"]: c["owner"]["name"] for c in data["capabilities"]}
    assert owners == {"buying": "checkout", "discovery": "discovery", "fulfilment": "fulfilment"}
    seen = text(browser.get("/").text)
    assert "11 services" in seen
    assert "Product discovery Discovery" in seen


def test_a_team_page_shows_members_services_capability_type_and_parent(browser: TestClient) -> None:
    seen = text(browser.get("/teams/checkout").text)
    for expected in [
        "Grace Hopper",
        "Tim Okafor",
        "cart",
        "payments",
        "Buying",
        "stream-aligned",
        "Digital",
    ]:
        assert expected in seen, expected
    data = browser.get("/teams/checkout.json").json()
    assert [s["name"] for s in data["services"]] == ["cart", "checkout", "payments"]
    assert data["parent"]["href"] == "/teams/digital"
    assert data["team"]["team_type"] == "stream-aligned"


def test_a_service_page_shows_owner_system_apis_and_their_teams(browser: TestClient) -> None:
    html = browser.get("/services/storefront").text
    assert '<a href="/teams/web-experience">Web Experience</a>' in html
    seen = text(html)
    assert "Product discovery" in seen
    assert "production" in seen
    consumed = {
        u["api"]["name"]: [t["name"] for t in u["teams"]]
        for u in browser.get("/services/storefront.json").json()["consumes"]
    }
    assert consumed["cart-api"] == ["checkout"]
    assert consumed["identity-api"] == ["platform"]


def test_a_service_page_shows_dependencies_and_a_neighbourhood_graph(browser: TestClient) -> None:
    data = browser.get("/services/product-catalog.json").json()
    assert [d["name"] for d in data["dependencies"]] == ["catalog-db"]
    assert {n["name"] for n in data["graph"]["nodes"]} >= {
        "product-catalog",
        "catalog-db",
        "search",
        "storefront",
    }
    html = browser.get("/services/product-catalog").text
    assert "<svg" in html
    assert 'data-id="component:default/product-catalog"' in html
    assert "svg" not in data["graph"]  # the drawing is for the HTML page only


def test_the_api_and_system_pages_list_who_provides_consumes_and_what_belongs(
    browser: TestClient,
) -> None:
    api = browser.get("/apis/catalog-api.json").json()
    assert [p["name"] for p in api["providers"]] == ["product-catalog"]
    assert {"search", "storefront"} <= {c["name"] for c in api["consumers"]}
    system = browser.get("/systems/buying.json").json()
    assert system["owner"]["name"] == "checkout"
    assert {s["name"] for s in system["services"]} == {"cart", "checkout", "payments"}


def test_the_group_tree_nests_teams_under_the_organisation(browser: TestClient) -> None:
    roots = browser.get("/groups.json").json()["roots"]
    assert [r["name"] for r in roots] == ["shop"]
    departments = {d["name"]: [t["name"] for t in d["children"]] for d in roots[0]["children"]}
    assert departments == {
        "digital": ["checkout", "discovery", "web-experience"],
        "operations": ["fulfilment", "platform"],
    }


def test_the_graph_links_consumers_to_providers_coloured_by_team(browser: TestClient) -> None:
    data = browser.get("/graph.json").json()["graph"]
    edges = {(e["from"].split("/")[-1], e["to"].split("/")[-1], e["kind"]) for e in data["edges"]}
    assert ("storefront", "cart", "calls") in edges
    assert ("orders", "orders-db", "depends") in edges
    assert {t["name"] for t in data["legend"]} == {
        "checkout",
        "discovery",
        "fulfilment",
        "platform",
        "web-experience",
    }
    html = browser.get("/graph").text
    assert html.count('class="node"') == len(data["nodes"])


# -- JSON twins -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGE_IDS)
def test_every_page_has_a_json_twin_by_suffix_and_by_accept_header(
    browser: TestClient, page: str
) -> None:
    path, _ = PAGES[page]
    by_suffix = browser.get("/.json" if path == "/" else f"{path}.json")
    by_accept = browser.get(path, headers={"Accept": "application/json"})
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_suffix.headers["content-type"] == "application/json"
    assert by_suffix.json() == by_accept.json()


# -- errors and escaping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/teams/nope", "no team named 'nope'"),
        ("/services/nope", "no service named 'nope'"),
        ("/services/catalog-db", "no service named 'catalog-db'"),
        ("/apis/nope", "no API named 'nope'"),
        ("/systems/nope", "no system named 'nope'"),
        ("/teams/group:checkout", "no team named 'group:checkout'"),
    ],
    ids=["team", "service", "resource-as-service", "api", "system", "ref-syntax"],
)
def test_an_unknown_name_is_a_404_page_saying_so(
    browser: TestClient, path: str, message: str
) -> None:
    response = browser.get(path)
    assert response.status_code == 404
    assert heading(response.text) == "Not found"
    assert message.replace("'", "&#39;") in response.text
    twin = browser.get(f"{path}.json")
    assert twin.status_code == 404
    assert twin.json()["error"]["code"] == "not_found"


def _hostile_team() -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {
            "name": "red-team",
            "title": "<script>alert('t')</script>",
            "description": '"><img src=x onerror=alert(1)>',
        },
        "spec": {"type": "team", "parent": "digital", "children": []},
    }


def test_text_from_the_catalog_is_escaped_everywhere_it_appears(
    services: Services, admin_token: str
) -> None:
    import_shop(services)
    services.catalog.put_entity(DescriptorIn(descriptor=_hostile_team()), actor=SYSTEM)
    browser = TestClient(web_app(services), follow_redirects=False)
    browser.post("/login", data={"token": admin_token})
    for path in ["/teams", "/teams/red-team", "/groups"]:
        html = browser.get(path).text
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path
        assert "<img src=x" not in html, path


def test_the_stylesheet_ships_with_the_package(browser: TestClient) -> None:
    response = browser.get("/static/orgloop.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
