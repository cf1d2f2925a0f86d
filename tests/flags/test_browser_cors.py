"""Browsers may call the SDK-key routes from any origin, and nothing else: GrowthBook's JS SDK
loads orgloop's flags inside a web page served from another origin (real Chromium), and the
page's OFREP request gets through its preflight, while the write API stays closed to that page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Route

from orgloop.app import Services, create_app
from tests.flags.node_sdks import NPM_TOOLS, require_node
from tests.live import LiveServer
from tests.sdk.server import add_team, sdk_key
from tests.web.test_browser import chromium  # noqa: F401

BUNDLE = NPM_TOOLS / "node_modules/@growthbook/growthbook/dist/bundles/index.min.js"

PAGE = """<!doctype html><html><body><script src="/growthbook.js"></script><script>
const ORGLOOP = %(orgloop)s, KEY = %(key)s;
window.results = (async () => {
  const gb = new growthbook.GrowthBook({
    apiHost: ORGLOOP + "/growthbook", clientKey: KEY, attributes: {id: "user-1"}});
  await gb.init({timeout: 5000, streaming: false});
  const ofrep = await fetch(ORGLOOP + "/ofrep/v1/evaluate/flags", {method: "POST",
    headers: {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"},
    body: JSON.stringify({context: {targetingKey: "user-1"}})});
  const body = await ofrep.json();
  let api;
  try {
    await fetch(ORGLOOP + "/api/v1/flags", {headers: {"Authorization": "Bearer " + KEY}});
    api = "read";
  } catch (e) { api = "blocked"; }
  return {growthbook: gb.isOn("new-checkout"), ofrepStatus: ofrep.status,
          ofrepEtag: ofrep.headers.get("etag"),
          ofrep: body.flags.map(f => [f.key, f.value]), api: api};
})();
</script></body></html>"""


@pytest.fixture
def orgloop(services: Services, admin_token: str) -> Iterator[tuple[LiveServer, str]]:
    add_team(services, "checkout")
    with LiveServer(create_app(services=services)) as server:
        headers = {"Authorization": f"Bearer {admin_token}"}
        flag = {
            "key": "new-checkout", "type": "boolean", "owner": "checkout", "default_value": False,
            "environments": {"production": {"enabled": True, "rules": [
                {"kind": "force", "value": True}]}},
        }  # fmt: skip
        httpx.post(f"{server.url}/api/v1/flags", json=flag, headers=headers).raise_for_status()
        yield server, sdk_key(services, "production")


def test_preflight_and_answers_of_the_sdk_key_routes_allow_any_origin(
    orgloop: tuple[LiveServer, str],
) -> None:
    server, key = orgloop
    origin = {"Origin": "https://shop.example"}
    preflight = httpx.options(
        f"{server.url}/ofrep/v1/evaluate/flags",
        headers={**origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    features = httpx.get(f"{server.url}/growthbook/api/features/{key}", headers=origin)
    assert features.status_code == 200
    assert features.headers["access-control-allow-origin"] == "*"
    assert features.headers["access-control-expose-headers"] == "etag"
    refused = httpx.get(f"{server.url}/growthbook/api/features/not-a-key", headers=origin)
    assert refused.status_code == 401  # an error a page can read, not an opaque failure
    assert refused.headers["access-control-allow-origin"] == "*"
    # The rest of the API is not offered to other origins.
    api = httpx.get(
        f"{server.url}/api/v1/flags", headers={**origin, "Authorization": f"Bearer {key}"}
    )
    assert "access-control-allow-origin" not in api.headers
    api_preflight = httpx.options(
        f"{server.url}/api/v1/flags",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in api_preflight.headers
    # Without an Origin (a server-side SDK), nothing changes.
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{server.url}/growthbook/api/features/{key}").headers
    )


def test_growthbook_js_and_ofrep_in_a_page_of_another_origin(
    orgloop: tuple[LiveServer, str],
    chromium: Any,  # noqa: F811
) -> None:
    require_node("@growthbook/growthbook")
    server, key = orgloop

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(PAGE % {"orgloop": json.dumps(server.url), "key": json.dumps(key)})

    async def bundle(_: Request) -> FileResponse:
        return FileResponse(Path(BUNDLE), media_type="text/javascript")

    shop = Starlette(routes=[Route("/", page), Route("/growthbook.js", bundle)])
    with LiveServer(shop) as web:
        assert web.port != server.port  # another origin
        context = chromium.new_context()
        try:
            tab = context.new_page()
            tab.goto(web.url)
            results = tab.evaluate("window.results")
        finally:
            context.close()
    assert results["growthbook"] is True  # GrowthBook's SDK loaded orgloop's ruleset
    assert results["ofrepStatus"] == 200
    assert results["ofrep"] == [["new-checkout", True]]
    assert results["ofrepEtag"]  # exposed to the page, for If-None-Match
    assert results["api"] == "blocked"  # the browser refused the page the write API
