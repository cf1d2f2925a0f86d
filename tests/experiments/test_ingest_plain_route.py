"""``POST /api/v1/events`` is answered before the middleware chain (``kernel.plain``): its answers
must be those the chain gives, whatever is sent.

The same app answers the route behind the chain when the URL has a query string, so each request
here is sent both ways and the two answers compared: status, body and headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from orgloop.app import Services, build_services, create_app
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings
from tests.experiments.builders import exposure, track
from tests.live import LiveServer

LIMIT = 64 * 1024  # the app's body limit here (Settings.max_request_bytes)
ROUTE = "/api/v1/events"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("plain")
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'o.db'}",
        max_request_bytes=LIMIT,
    )
    built = build_services(settings, clock=FixedClock(), ids=SequentialIds())
    yield built
    built.close()


class Seen:
    """Innermost middleware of the chain: the requests that went through it."""

    requests: list[tuple[str, str]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            Seen.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def client(services: Services) -> Iterator[TestClient]:
    app = create_app(services=services)
    app.user_middleware.append(Middleware(Seen))  # innermost: behind the whole chain
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def tokens(services: Services) -> dict[str, str]:
    def make(role: str, **extra: str) -> str:
        return services.tokens.create(TokenCreate(role=role, **extra), actor=SYSTEM).secret

    return {
        "sdk": make("sdk", environment="production"),
        "admin": make("admin"),
        "viewer": make("viewer"),
        "member": make("member", team="checkout"),
    }


def body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def poisoned(value: str, field: str = "unit") -> Callable[[], bytes]:
    """A batch whose first event holds ``value`` (raw JSON text) in ``field``."""
    return lambda: (
        body(track(), exposure())
        .replace(b'"user-1"', value.encode(), 1)
        .replace(b'"unit"', f'"{field}"'.encode(), 1)
    )


def in_properties(value: str) -> Callable[[], bytes]:
    return lambda: body(track(properties={"n": "SLOT"}), track()).replace(b'"SLOT"', value.encode())


JSON = {"Content-Type": "application/json"}
# (token, headers, body): each call makes new event ids, so both sends store their events.
CASES: dict[str, tuple[str | None, dict[str, str], Callable[[], bytes]]] = {
    "good batch": ("sdk", JSON, lambda: body(track(), exposure(), track())),
    "some events bad": ("sdk", JSON, lambda: body(track(), track(unit=""), exposure(variant=None))),
    "every event bad": ("sdk", JSON, lambda: body(track(unit=""), {"type": "track"})),
    "empty batch": ("sdk", JSON, lambda: b'{"events": []}'),
    "unknown fields": ("sdk", JSON, lambda: body(track(sdk="py"), exposure(extra={"a": 1}))),
    "admin": ("admin", JSON, lambda: body(track())),
    "no Content-Type": ("sdk", {}, lambda: body(track())),
    "not JSON": ("sdk", JSON, lambda: b"{events: "),
    "a JSON array": ("sdk", JSON, lambda: b"[]"),
    "text/plain": ("sdk", {"Content-Type": "text/plain"}, lambda: body(track())),
    "NUL in a unit": ("sdk", JSON, poisoned('"a\\u0000b"')),
    "NUL in an unknown field": ("sdk", JSON, poisoned('"a\\u0000b"', field="note")),
    "lone surrogate": ("sdk", JSON, poisoned('"\\ud800"')),
    "emoji as a surrogate pair": ("sdk", JSON, poisoned('"\\ud83d\\ude00"')),
    "NaN value": ("sdk", JSON, poisoned("NaN", field="value")),
    "1e400 value": ("sdk", JSON, poisoned("1e400", field="value")),
    "1e400 in properties": ("sdk", JSON, in_properties("1e400")),
    "-Infinity in properties": ("sdk", JSON, in_properties("-Infinity")),
    "NUL in properties": ("sdk", JSON, in_properties('"\\u0000"')),
    "1e300 in properties": ("sdk", JSON, in_properties("1e300")),
    "10,000 deep properties": ("sdk", JSON, in_properties("[" * 10_000 + "]" * 10_000)),
    "over the body limit": ("sdk", JSON, lambda: body(*(track() for _ in range(400)))),
    "no token": (None, JSON, lambda: body(track())),
    "viewer": ("viewer", JSON, lambda: body(track())),
    "member, track events": ("member", JSON, lambda: body(track())),
    "member, exposures of another's experiment": ("member", JSON, lambda: body(exposure())),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_plain_route_answers_as_the_chain_does(
    client: TestClient, tokens: dict[str, str], case: str
) -> None:
    role, headers, make = CASES[case]
    auth = {} if role is None else {"Authorization": f"Bearer {tokens[role]}"}
    Seen.requests.clear()
    plain = client.post(ROUTE, content=make(), headers={**headers, **auth})
    assert Seen.requests == []  # answered in front of the chain
    chained = client.post(f"{ROUTE}?via=chain", content=make(), headers={**headers, **auth})
    assert plain.status_code < 500
    assert (plain.status_code, plain.json(), dict(plain.headers)) == (
        chained.status_code,
        chained.json(),
        dict(chained.headers),
    )


def test_a_poisoned_body_is_refused_whole_naming_its_field(
    client: TestClient, tokens: dict[str, str]
) -> None:
    sent = poisoned('"a\\u0000b"')()
    answer = client.post(
        ROUTE, content=sent, headers={**JSON, "Authorization": f"Bearer {tokens['sdk']}"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["errors"][0]["path"] == "events[0].unit"


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # Content-Length alone decides: the body is never decoded (and here never sent whole).
    headers = {**JSON, "Authorization": f"Bearer {tokens['sdk']}"}
    answer = client.post(ROUTE, content=b"x" * (LIMIT + 1), headers=headers)
    assert answer.status_code == 413
    assert str(LIMIT) in answer.json()["error"]["message"]


def test_with_a_query_string_the_route_is_answered_behind_the_chain(
    client: TestClient, tokens: dict[str, str]
) -> None:
    Seen.requests.clear()
    headers = {**JSON, "Authorization": f"Bearer {tokens['sdk']}"}
    answer = client.post(f"{ROUTE}?via=chain", content=body(track()), headers=headers)
    assert answer.status_code == 200
    assert Seen.requests == [("POST", ROUTE)]


def test_other_methods_go_through_the_app(client: TestClient, tokens: dict[str, str]) -> None:
    Seen.requests.clear()
    answer = client.get(ROUTE, headers={"Authorization": f"Bearer {tokens['sdk']}"})
    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]
    assert Seen.requests == [("GET", ROUTE)]


def test_a_refused_viewer_is_audited(
    client: TestClient, tokens: dict[str, str], services: Services
) -> None:
    before = _denials(services)
    answer = client.post(
        ROUTE,
        content=body(track()),
        headers={**JSON, "Authorization": f"Bearer {tokens['viewer']}"},
    )
    assert answer.status_code == 403
    assert _denials(services) == before + 1
    latest = services.audit.list(actor=SYSTEM, action="access.denied", limit=1).items[0]
    assert f"POST {ROUTE}" in latest.model_dump_json()


def _denials(services: Services) -> int:
    return services.audit.list(actor=SYSTEM, action="access.denied", limit=1).total


def test_the_server_answers_on_a_real_socket(tmp_path: Path) -> None:
    """Through uvicorn, not only the test client: an acknowledged batch is stored."""
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    services = build_services(settings, clock=FixedClock(), ids=SequentialIds())
    try:
        secret = services.tokens.create(
            TokenCreate(role="sdk", environment="production"), actor=SYSTEM
        ).secret
        with LiveServer(create_app(services=services)) as server:
            answer = httpx.post(
                f"{server.url}{ROUTE}",
                content=body(track(), exposure()),
                headers={**JSON, "Authorization": f"Bearer {secret}"},
            )
        assert answer.status_code == 200
        assert answer.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
        counts = services.event_store().counts()
        assert (counts.events, counts.exposures) == (1, 1)
    finally:
        services.close()


def test_a_body_that_grows_over_the_limit_while_streamed_is_413(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # No Content-Length (chunked): the limit is enforced on the chunks as they arrive.
    chunks = iter([b'{"events": [', b" " * LIMIT, b"]}"])
    headers = {**JSON, "Authorization": f"Bearer {tokens['sdk']}"}
    answer = client.post(ROUTE, content=chunks, headers=headers)
    assert answer.status_code == 413


def test_the_caller_is_authenticated_before_the_body_is_examined(client: TestClient) -> None:
    # Behind the chain, the JSON guard looked at the body first (422); the plain route asks
    # who is calling first, so an anonymous sender learns nothing about its body.
    answer = client.post(ROUTE, content=poisoned('"\\ud800"')(), headers=JSON)
    assert answer.status_code == 401


def test_a_route_put_in_front_of_the_ingest_route_answers_instead(services: Services) -> None:
    # As before the plain route: the app's router decides, so a stand-in placed first (as the
    # SDK tests record what their client sends) gets the requests, not the event store.
    app = create_app(services=services)
    stand_in = FastAPI()
    seen: list[bytes] = []

    @stand_in.post(ROUTE, status_code=202)
    async def record(request: Request) -> dict[str, int]:
        seen.append(await request.body())
        return {"recorded": 1}

    app.router.routes.insert(0, stand_in.router.routes[-1])
    sent = body(track())
    with TestClient(app) as client:
        answer = client.post(ROUTE, content=sent, headers=JSON)
    assert (answer.status_code, answer.json(), seen) == (202, {"recorded": 1}, [sent])
