"""The OFREP endpoints as a provider sees them: answers and errors in the protocol's shapes, SDK-key
authentication, the bulk answer's ETag, and the exposures experiment assignments record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.flags.ofrep import OfrepRefusal, parse_context
from orgloop.kernel.clock import FixedClock
from tests.flags.node_sdks import create_flags, users
from tests.live import LiveServer
from tests.sdk.server import member_token, sdk_key

SINGLE = "/ofrep/v1/evaluate/flags"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def key(services: Services, live_server: LiveServer, admin_token: str) -> str:
    create_flags(services, live_server.url, admin_token)
    return sdk_key(services, "production")


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_single_evaluation_answers_value_reason_variant_and_metadata(
    app_client: TestClient, key: str
) -> None:
    body = {"context": {"targetingKey": "user-3", "plan": "pro"}}
    got = app_client.post(f"{SINGLE}/max-items", json=body, headers=_auth(key))
    assert got.status_code == 200
    assert got.json() == {
        "key": "max-items",
        "reason": "TARGETING_MATCH",
        "variant": "pro",
        "value": 20,
        "metadata": {},
    }
    static = app_client.post(f"{SINGLE}/dark-mode", json={}, headers={"X-API-Key": key})
    assert static.json()["reason"] == "STATIC"
    assert static.json()["value"] is True


def test_errors_use_the_protocols_codes_and_statuses(
    services: Services, app_client: TestClient, key: str
) -> None:
    missing = app_client.post(f"{SINGLE}/nope", json={"context": {}}, headers=_auth(key))
    assert missing.status_code == 404
    assert missing.json() == {
        "key": "nope",
        "errorCode": "FLAG_NOT_FOUND",
        "errorDetails": "flag 'nope' is not in the ruleset",
    }
    garbled = app_client.post(f"{SINGLE}/dark-mode", content=b"{oops", headers=_auth(key))
    assert garbled.status_code == 400
    assert garbled.json()["errorCode"] == "PARSE_ERROR"
    listed = app_client.post(f"{SINGLE}/dark-mode", json={"context": [1]}, headers=_auth(key))
    assert listed.status_code == 400
    assert listed.json()["errorCode"] == "INVALID_CONTEXT"
    number = {"context": {"targetingKey": 7}}
    wrong = app_client.post(f"{SINGLE}/dark-mode", json=number, headers=_auth(key))
    assert wrong.json()["errorDetails"] == "context.targetingKey: must be a string"
    assert app_client.post(f"{SINGLE}/dark-mode", json={}).status_code == 401
    assert (
        app_client.post(f"{SINGLE}/dark-mode", json={}, headers=_auth("olp_sdk_x")).status_code
        == 401
    )
    member = _auth(member_token(services, "checkout"))
    assert app_client.post(f"{SINGLE}/dark-mode", json={}, headers=member).status_code == 403


def test_the_bulk_answer_has_an_etag_that_changes_with_the_flags_and_the_context(
    app_client: TestClient, key: str, admin_token: str
) -> None:
    body = {"context": {"targetingKey": "user-1", "country": "DE"}}
    first = app_client.post(SINGLE, json=body, headers=_auth(key))
    assert first.status_code == 200
    flags = {f["key"]: f for f in first.json()["flags"]}
    assert flags["new-checkout"]["reason"] == "TARGETING_MATCH"
    etag = first.headers["ETag"]
    same = app_client.post(SINGLE, json=body, headers={**_auth(key), "If-None-Match": etag})
    assert same.status_code == 304
    assert same.headers["ETag"] == etag
    other = {"context": {"targetingKey": "user-2"}}
    assert (
        app_client.post(
            SINGLE, json=other, headers={**_auth(key), "If-None-Match": etag}
        ).status_code
        == 200
    )
    toggle = "/api/v1/flags/dark-mode/environments/production/toggle?on=false"
    app_client.post(toggle, headers=_auth(admin_token)).raise_for_status()
    changed = app_client.post(SINGLE, json=body, headers={**_auth(key), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_experiment_assignments_record_exposures_in_the_event_store(
    services: Services, app_client: TestClient, key: str
) -> None:
    assigned = set()
    for user in users(20):
        body = {"context": {"targetingKey": user["id"], "country": user["country"]}}
        got = app_client.post(f"{SINGLE}/button-color", json=body, headers=_auth(key)).json()
        if got["reason"] == "SPLIT":
            assigned.add((user["id"], "button-test", got["variant"]))
    assert assigned
    stored = (
        services.event_store()
        .cursor()
        .execute("SELECT unit, experiment, variant, environment FROM exposures")
        .fetchall()
    )
    assert {(u, e, v) for u, e, v, _ in stored} == assigned
    assert {env for *_, env in stored} == {"production"}


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"[]", "PARSE_ERROR"), (b'{"context": "x"}', "INVALID_CONTEXT"), (b"\xff", "PARSE_ERROR")],
)
def test_bad_bodies_are_refused_with_a_code(body: bytes, code: str) -> None:
    with pytest.raises(OfrepRefusal) as refused:
        parse_context(body)
    assert refused.value.code == code
    assert refused.value.status == 400


def test_the_targeting_key_is_the_id_attribute() -> None:
    assert parse_context(b'{"context": {"targetingKey": "u1", "plan": "pro"}}') == {
        "plan": "pro",
        "id": "u1",
    }
    assert parse_context(b"") == {}
