"""The GrowthBook-compatible payload: what ``GET /growthbook/api/features/{clientKey}`` serves,
who may read it, and that it evaluates as orgloop does (through the conformance suite's reader
of GrowthBook features, and in GrowthBook's Python SDK loading it from a live server)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from growthbook import GrowthBook

from orgloop.app import Services
from orgloop.flags.engine import Evaluator, ruleset_from_dict
from orgloop.flags.growthbook import growthbook_payload
from orgloop.sdk import Client
from tests.flags.node_sdks import FLAG_KEYS, create_flags, users
from tests.flags.test_growthbook_conformance import gb_ruleset
from tests.live import LiveServer
from tests.sdk.server import member_token, sdk_key

EXPERIMENT_RULE: dict[str, Any] = {
    "kind": "experiment",
    "id": "r1",
    "key": "exp",
    "variations": ["a", "b"],
    "weights": [0.4, 0.6],
    "meta": [{"key": "ctl"}, {"key": "trt", "passthrough": True}],
    "namespace": ["ns", 0, 0.5],
    "coverage": 0.9,
    "hash_attribute": "device",
    "fallback_attribute": "id",
    "seed": "s",
    "hash_version": 2,
    "filters": [{"seed": "f", "ranges": [[0, 0.5]], "attribute": "id", "hash_version": 2}],
    "parent_conditions": [{"flag": "p", "condition": {"value": True}, "gate": True}],
}


def test_rules_are_written_with_growthbooks_field_names() -> None:
    payload = {
        "version": 1767225600000,
        "flags": {"f": {"type": "string", "default_value": "a", "rules": [EXPERIMENT_RULE]}},
        "saved_groups": {"beta": ["u1"]},
    }
    gb = growthbook_payload(payload)
    assert gb["status"] == 200
    assert gb["savedGroups"] == {"beta": ["u1"]}
    assert gb["dateUpdated"] == "2026-01-01T00:00:00.000Z"
    assert gb["features"]["f"] == {
        "defaultValue": "a",
        "rules": [
            {
                "id": "r1",
                "parentConditions": [{"id": "p", "condition": {"value": True}, "gate": True}],
                "filters": [
                    {"seed": "f", "ranges": [[0, 0.5]], "attribute": "id", "hashVersion": 2}
                ],
                "variations": ["a", "b"],
                "key": "exp",
                "weights": [0.4, 0.6],
                "namespace": ["ns", 0, 0.5],
                "meta": [{"key": "ctl"}, {"key": "trt", "passthrough": True}],
                "coverage": 0.9,
                "hashAttribute": "device",
                "fallbackAttribute": "id",
                "seed": "s",
                "hashVersion": 2,
            }
        ],
    }


def test_a_flag_switched_off_is_a_feature_with_a_null_default() -> None:
    payload = {"flags": {"f": {"type": "boolean", "default_value": True, "enabled": False}}}
    assert growthbook_payload(payload)["features"]["f"] == {"defaultValue": None, "rules": []}


def test_read_back_as_growthbook_features_the_payload_evaluates_the_same(
    services: Services, live_server: LiveServer, admin_token: str
) -> None:
    create_flags(services, live_server.url, admin_token)
    payload, _ = services.flags.ruleset("production")
    ours = Evaluator(ruleset_from_dict(payload))
    theirs = Evaluator(ruleset_from_dict(gb_ruleset(growthbook_payload(payload))))
    for user in users():
        for key in FLAG_KEYS:
            a, b = ours.evaluate(key, user), theirs.evaluate(key, user)
            assert (a.value, a.variation_key) == (b.value, b.variation_key), (key, user)


def test_the_endpoint_takes_an_sdk_key_in_the_path_and_answers_304_to_its_etag(
    services: Services, live_server: LiveServer, admin_token: str
) -> None:
    create_flags(services, live_server.url, admin_token)
    url = f"{live_server.url}/growthbook/api/features"
    key = sdk_key(services, "production")
    first = httpx.get(f"{url}/{key}")
    assert first.status_code == 200, first.text
    assert set(first.json()["features"]) == set(FLAG_KEYS)
    assert first.json()["savedGroups"]["beta"][0] == "user-0"
    etag = first.headers["ETag"]
    again = httpx.get(f"{url}/{key}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    admin = {"Authorization": f"Bearer {admin_token}"}
    httpx.post(
        f"{live_server.url}/api/v1/flags/dark-mode/environments/production/toggle?on=false",
        headers=admin,
    ).raise_for_status()
    changed = httpx.get(f"{url}/{key}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["features"]["dark-mode"] == {"defaultValue": None, "rules": []}


def test_a_wrong_key_is_401_and_a_non_sdk_token_403(services: Services, admin: TestClient) -> None:
    assert admin.get("/growthbook/api/features/olp_sdk_nope").status_code == 401
    refused = admin.get(f"/growthbook/api/features/{member_token(services, 'checkout')}")
    assert refused.status_code == 403
    assert "SDK key" in refused.json()["error"]["message"]


def test_the_route_is_not_in_the_api_v1_document(admin: TestClient) -> None:
    paths = admin.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/growthbook", "/ofrep"))]


def test_growthbooks_python_sdk_loads_the_endpoint_and_agrees_with_orgloops_sdk(
    services: Services, live_server: LiveServer, admin_token: str
) -> None:
    """A second language: PyPI ``growthbook`` loads with its own ``api_host``/``client_key``."""
    create_flags(services, live_server.url, admin_token)
    key = sdk_key(services, "production")
    ruleset = httpx.get(
        f"{live_server.url}/api/v1/sdk/ruleset", headers={"Authorization": f"Bearer {key}"}
    ).json()
    gb = GrowthBook(api_host=f"{live_server.url}/growthbook", client_key=key, cache_ttl=0)
    gb.load_features()
    assert set(gb.get_features()) == set(FLAG_KEYS)
    with Client(ruleset=ruleset) as client:
        for user in users():
            gb.set_attributes(user)
            for flag in FLAG_KEYS:
                ours, theirs = client.evaluate(flag, user), gb.eval_feature(flag)
                variation = theirs.experimentResult.key if theirs.experimentResult else None
                assert theirs.value == ours.value, (flag, user)
                assert variation == (ours.variation_key if ours.in_experiment else None)
    gb.destroy()
