"""POST /api/v1/events: partial success, idempotency, limits, roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.experiments.ingest.api import build_router
from orgloop.experiments.ingest.store import EventStore
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.http import Caller, install_authentication, install_error_handlers
from orgloop.kernel.tokens import TokenService
from tests.experiments.builders import exposure, track
from tests.experiments.conftest import token


def post(client: TestClient, events: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    response = client.post("/api/v1/events", json={"events": events})
    return response.status_code, response.json()


def test_a_good_batch_is_stored_and_counted(ingest: TestClient, event_store: EventStore) -> None:
    status, body = post(ingest, [exposure(), track(), track(value=None)])
    assert (status, body) == (200, {"accepted": 3, "duplicates": 0, "rejected": []})
    assert (event_store.counts().exposures, event_store.counts().events) == (1, 2)


def test_resending_a_batch_stores_nothing_twice(
    ingest: TestClient, event_store: EventStore
) -> None:
    batch = [exposure(), track(), track()]
    post(ingest, batch)
    status, body = post(ingest, [*batch, track()])
    assert (status, body["accepted"], body["duplicates"]) == (200, 1, 3)
    assert event_store.counts().events == 3


def test_a_repeated_id_inside_one_batch_counts_as_a_duplicate(ingest: TestClient) -> None:
    event = track()
    assert post(ingest, [event, event])[1] == {"accepted": 1, "duplicates": 1, "rejected": []}


def test_bad_events_are_reported_and_good_ones_kept(
    ingest: TestClient, event_store: EventStore
) -> None:
    status, body = post(
        ingest,
        [
            track(),
            track(timestamp="yesterday"),
            exposure(variant=None),
            track(timestamp="2026-01-03T00:00:00Z"),
            {"type": "track"},
        ],
    )
    assert status == 200
    assert body["accepted"] == 1
    paths = [(r["index"], r["path"]) for r in body["rejected"]]
    assert paths == [
        (1, "events[1].timestamp"),
        (2, "events[2].variant"),
        (3, "events[3].timestamp"),
        (4, "events[4].id"),
    ]
    assert "ahead of the server clock" in body["rejected"][2]["reason"]
    assert event_store.counts().events == 1


def test_a_batch_with_no_good_event_is_422_with_every_reason(ingest: TestClient) -> None:
    status, body = post(ingest, [track(unit=""), track(event=None)])
    assert status == 422
    assert body["error"]["code"] == "invalid_input"
    assert [e["path"] for e in body["error"]["details"]["errors"]] == [
        "events[0].unit",
        "events[1].event",
    ]
    assert body["error"]["details"]["accepted"] == 0


def test_an_empty_batch_is_fine(ingest: TestClient) -> None:
    assert post(ingest, []) == (200, {"accepted": 0, "duplicates": 0, "rejected": []})


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param(b"{not json", "", id="not-json"),
        pytest.param(b'{"evnts": []}', "events", id="no-events-list"),
        pytest.param(b'{"events": {}}', "events", id="events-not-a-list"),
    ],
)
def test_an_unusable_body_is_422(ingest: TestClient, body: bytes, path: str) -> None:
    response = ingest.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == path


def test_too_many_events_is_413(ingest: TestClient, event_store: EventStore) -> None:
    status, body = post(ingest, [track() for _ in range(51)])
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert event_store.counts().events == 0


def test_too_many_bytes_is_413(ingest: TestClient) -> None:
    status, _ = post(ingest, [track(properties={"blob": "x" * 70_000})])
    assert status == 413


@pytest.mark.parametrize(
    ("role", "extra", "status"),
    [
        pytest.param("admin", {}, 200, id="admin"),
        pytest.param("member", {"team": "checkout"}, 200, id="member"),
        pytest.param("sdk", {"environment": "staging"}, 200, id="sdk"),
        pytest.param("viewer", {}, 403, id="viewer"),
    ],
)
def test_who_may_write_events(
    ingest_app: tuple[TestClient, TokenService], role: str, extra: dict[str, str], status: int
) -> None:
    client, tokens = ingest_app
    client.headers["Authorization"] = "Bearer " + token(tokens, role, **extra)
    assert post(client, [track()])[0] == status


def test_without_a_token_is_401(ingest_app: tuple[TestClient, TokenService]) -> None:
    client, _ = ingest_app
    assert post(client, [track()])[0] == 401


def test_an_sdk_key_stamps_its_environment(ingest: TestClient, event_store: EventStore) -> None:
    post(ingest, [track()])
    row = event_store.cursor().execute("SELECT environment FROM events").fetchone()
    assert row == ("production",)


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Basic dXNlcjpwdw==", id="other-scheme"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer not-a-token", id="unknown-token"),
    ],
)
def test_the_route_refuses_tokens_exactly_as_every_route_does(
    kernel_services: Services, event_store: EventStore, authorization: str | None
) -> None:
    # The route skips FastAPI's dependency resolution: its answers to a bad token must still be
    # those of a route that takes ``Caller``, status, error and challenge header alike.
    app = FastAPI()
    install_error_handlers(app)
    install_authentication(app, kernel_services.tokens.authenticate)
    app.include_router(build_router(store=event_store, clock=FixedClock()))

    @app.post("/reference")
    async def reference(caller: Caller) -> dict[str, str]:
        return {"role": caller.role}

    headers = {} if authorization is None else {"Authorization": authorization}
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            client.post(path, json={"events": [track()]}, headers=headers)
            for path in ("/api/v1/events", "/reference")
        ]
    assert answers[0].status_code == 401
    assert [(a.status_code, a.json(), a.headers.get("www-authenticate")) for a in answers] == [
        (answers[1].status_code, answers[1].json(), answers[1].headers.get("www-authenticate"))
    ] * 2
    assert event_store.counts().events == 0


def test_the_route_is_documented_with_its_body_and_bearer_security(
    ingest_app: tuple[TestClient, TokenService],
) -> None:
    client, _ = ingest_app
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/events"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["events"]
    assert {"413", "415", "422"} <= operation["responses"].keys()
