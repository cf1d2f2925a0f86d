"""POST /api/v1/events: partial success, idempotency, limits, roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.experiments.ingest.store import EventStore
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
