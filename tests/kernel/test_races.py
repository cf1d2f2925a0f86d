"""Requests that race each other, on a live server over real HTTP, on SQLite and PostgreSQL.

State changes are checked inside the write transaction (one wins, the others get 409); creating
the same thing twice at once is a 409, never a 500 from the database's unique key; a write sent
with a stale ``If-Match`` is a 412 and changes nothing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.catalog.builders import component, shop_payload
from tests.experiments.test_lifecycle import experiment_body
from tests.live import LiveServer

N = 8


class Server:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = httpx.Client(base_url=url, headers=self.headers, timeout=60)

    def race(self, call: Callable[[httpx.Client], httpx.Response], n: int = N) -> list[int]:
        """``call`` from ``n`` threads released together, each with its own connection."""
        barrier = threading.Barrier(n)

        def one(_: int) -> int:
            with httpx.Client(base_url=self.url, headers=self.headers, timeout=60) as client:
                barrier.wait()
                return call(client).status_code

        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(one, range(n)))

    def audited(self, action: str) -> int:
        page = self.client.get("/api/v1/audit", params={"action": action, "limit": 100}).json()
        return sum(1 for entry in page["items"] if entry["action"] == action)


@pytest.fixture
def server(live_server: LiveServer, admin_token: str) -> Iterator[Server]:
    server = Server(live_server.url, admin_token)
    response = server.client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert response.status_code == 200, response.text
    yield server
    server.client.close()


def _started(server: Server) -> str:
    body = experiment_body()
    assert server.client.post("/api/v1/experiments", json=body).status_code == 201
    key = str(body["key"])
    assert server.client.post(f"/api/v1/experiments/{key}/start").status_code == 200
    return key


def test_concurrent_decisions_decide_once(server: Server) -> None:
    key = _started(server)
    decision = {"decision": "ship", "reason": "it works"}
    statuses = server.race(lambda c: c.post(f"/api/v1/experiments/{key}/decision", json=decision))
    assert Counter(statuses) == {201: 1, 409: N - 1}
    assert server.audited("experiment.decide") == 1
    assert server.client.get(f"/api/v1/experiments/{key}").json()["status"] == "decided"


def test_concurrent_starts_start_once(server: Server) -> None:
    body = experiment_body()
    assert server.client.post("/api/v1/experiments", json=body).status_code == 201
    statuses = server.race(lambda c: c.post(f"/api/v1/experiments/{body['key']}/start"))
    assert Counter(statuses) == {200: 1, 409: N - 1}
    assert server.audited("experiment.running") == 1


def _creates() -> dict[str, tuple[str, str, Any, str]]:
    """What to create: method, url, body, and the listing that must then hold exactly one."""
    orders_api = {"openapi": "3.0.3", "info": {"title": "o", "version": "1"}, "paths": {}}
    return {
        "experiment": ("POST", "/api/v1/experiments", experiment_body(), "/api/v1/experiments"),
        "saved group": (
            "POST",
            "/api/v1/saved-groups",
            {"key": "beta-testers", "owner": "checkout", "values": ["u1"]},
            "/api/v1/saved-groups",
        ),
        "flag": (
            "POST",
            "/api/v1/flags",
            {"key": "raced-flag", "owner": "checkout"},
            "/api/v1/flags",
        ),
        "api version": (
            "POST",
            "/api/v1/services/orders/api-versions",
            {"version": "1.0.0", "document": orders_api},
            "/api/v1/services/orders/api-versions",
        ),
        "entity": (
            "PUT",
            "/api/v1/catalog/entities",
            component("raced", "checkout"),
            "/api/v1/catalog/entities?q=raced",
        ),
    }


@pytest.mark.parametrize("what", list(_creates()))
def test_concurrent_creates_of_one_thing_are_never_a_500(server: Server, what: str) -> None:
    method, url, body, listing = _creates()[what]
    statuses = server.race(lambda c: c.request(method, url, json=body))
    assert all(s in (200, 201, 409) for s in statuses), statuses
    assert any(s in (200, 201) for s in statuses), statuses
    listed = server.client.get(listing).json()
    items = listed if isinstance(listed, list) else listed["items"]
    assert len(items) == 1


def _flag_with_etag(server: Server) -> str:
    body = {"key": "guarded", "owner": "checkout"}
    assert server.client.post("/api/v1/flags", json=body).status_code == 201
    response = server.client.get("/api/v1/flags/guarded")
    return response.headers["ETag"]


def test_flag_rules_with_a_stale_if_match_are_refused(server: Server) -> None:
    etag = _flag_with_etag(server)
    url = "/api/v1/flags/guarded/environments/production"
    first = server.client.put(url, json={"enabled": True}, headers={"If-Match": etag})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] != etag
    assert server.client.get("/api/v1/flags/guarded").headers["ETag"] == first.headers["ETag"]
    stale = server.client.put(url, json={"enabled": False}, headers={"If-Match": etag})
    assert stale.status_code == 412, stale.text
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert server.client.get("/api/v1/flags/guarded").json()["environments"]["production"][
        "enabled"
    ]
    unchecked = server.client.put(url, json={"enabled": False})  # no If-Match: last one wins
    assert unchecked.status_code == 200


def test_concurrent_writers_with_one_etag_apply_one_change(server: Server) -> None:
    etag = _flag_with_etag(server)
    statuses = server.race(
        lambda c: c.patch(
            "/api/v1/flags/guarded",
            json={"description": f"by {threading.get_ident()}"},
            headers={"If-Match": etag},
        )
    )
    assert Counter(statuses) == {200: 1, 412: N - 1}
    assert server.audited("flag.update") == 1


def test_entity_edits_with_a_stale_if_match_are_refused(server: Server) -> None:
    entity = component("guarded", "checkout")
    assert server.client.put("/api/v1/catalog/entities", json=entity).status_code == 200
    url = "/api/v1/catalog/entities/component/default/guarded"
    etag = server.client.get(url).headers["ETag"]
    entity["descriptor"]["metadata"]["description"] = "first"
    first = server.client.put("/api/v1/catalog/entities", json=entity, headers={"If-Match": etag})
    assert first.status_code == 200, first.text
    entity["descriptor"]["metadata"]["description"] = "second"
    stale = server.client.put("/api/v1/catalog/entities", json=entity, headers={"If-Match": etag})
    assert stale.status_code == 412, stale.text
    assert server.client.get(url).json()["descriptor"]["metadata"]["description"] == "first"
    assert server.client.get(url).headers["ETag"] == first.headers["ETag"]
