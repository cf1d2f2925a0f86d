"""Flags over HTTP, on SQLite and PostgreSQL: define, configure per environment, kill, explain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.live import LiveServer
from tests.sdk.server import add_team, flags_app, member_token, sdk_key

ROLLOUT = [{"kind": "force", "id": "beta", "condition": {"country": "NL"}, "value": True}]


@pytest.fixture
def api(services: Services, admin_token: str) -> Iterator[TestClient]:
    add_team(services, "checkout")
    add_team(services, "search")
    with TestClient(flags_app(services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        yield client


def _create(api: TestClient, key: str = "new-checkout", **fields: Any) -> Any:
    body = {"key": key, "type": "boolean", "default_value": False, "owner": "checkout", **fields}
    return api.post("/api/v1/flags", json=body)


def _errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["path"] for e in response.json()["error"]["details"]["errors"]]


def test_a_created_flag_is_listed_and_shown_with_its_owning_team(api: TestClient) -> None:
    created = _create(api, tags=["checkout", "q3"], description="One-page checkout")
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == "group:default/checkout"
    _create(api, "ranking-v2", owner="group:default/search", tags=["q3"])
    by_owner = api.get("/api/v1/flags", params={"owner": "checkout"}).json()
    assert [f["key"] for f in by_owner["items"]] == ["new-checkout"]
    by_tag = api.get("/api/v1/flags", params={"tag": "q3"}).json()
    assert [f["key"] for f in by_tag["items"]] == ["new-checkout", "ranking-v2"]
    assert api.get("/api/v1/flags/new-checkout").json()["description"] == "One-page checkout"


def test_a_flag_needs_an_owning_team_from_the_catalog(api: TestClient) -> None:
    assert _errors(_create(api, owner="nobody")) == ["owner"]


def test_a_duplicate_key_is_a_conflict(api: TestClient) -> None:
    _create(api)
    assert _create(api).status_code == 409


def test_a_default_value_of_the_wrong_type_is_refused(api: TestClient) -> None:
    assert _errors(_create(api, default_value="yes")) == ["default_value"]


def test_rules_are_set_per_environment_and_patch_changes_only_what_is_sent(
    api: TestClient,
) -> None:
    _create(api, description="keep me")
    put = api.put(
        "/api/v1/flags/new-checkout/environments/staging", json={"enabled": True, "rules": ROLLOUT}
    )
    assert put.status_code == 200, put.text
    patched = api.patch("/api/v1/flags/new-checkout", json={"tags": ["x"]}).json()
    assert patched["description"] == "keep me"
    assert patched["environments"]["staging"] == {"enabled": True, "rules": ROLLOUT}
    assert "production" not in patched["environments"]


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        pytest.param(
            [{"kind": "force", "condition": {"country": {"$bogus": 1}}, "value": True}],
            "rules[0].condition.country.$bogus",
            id="unknown-operator",
        ),
        pytest.param(
            [{"kind": "force", "condition": {"email": {"$regex": "(a+)+$"}}, "value": True}],
            "rules[0].condition.email.$regex",
            id="pathological-regex",
        ),
        pytest.param(
            [{"kind": "experiment", "variations": [False, True], "weights": [0.5, 0.6]}],
            "rules[0].weights",
            id="weights-not-adding-up",
        ),
        pytest.param([{"kind": "force", "value": "yes"}], "rules[0].value", id="wrong-value-type"),
        pytest.param([{"kind": "rollout"}], "rules[0].kind", id="unknown-kind"),
    ],
)
def test_invalid_rules_are_refused_with_their_field_path(
    api: TestClient, rules: list[dict[str, Any]], path: str
) -> None:
    _create(api)
    response = api.put(
        "/api/v1/flags/new-checkout/environments/production", json={"enabled": True, "rules": rules}
    )
    assert path in _errors(response)
    assert api.get("/api/v1/flags/new-checkout").json()["environments"] == {}


def test_cyclic_prerequisites_are_refused(api: TestClient) -> None:
    def gate(parent: str) -> dict[str, Any]:
        return {"enabled": True, "rules": [{"kind": "prerequisite", "parent_conditions": [
            {"flag": parent, "condition": {"value": True}, "gate": True}]}]}  # fmt: skip

    _create(api, "a")
    _create(api, "b")
    assert api.put("/api/v1/flags/a/environments/prod", json=gate("b")).status_code == 200
    response = api.put("/api/v1/flags/b/environments/prod", json=gate("a"))
    assert _errors(response) == ["rules[0].parent_conditions[0].flag"]
    assert "cycle" in response.json()["error"]["message"]
    assert api.delete("/api/v1/flags/b").status_code == 409  # a still depends on b


def test_kill_switch_turns_the_flag_off_and_history_shows_who_did_what(api: TestClient) -> None:
    _create(api)
    api.put("/api/v1/flags/new-checkout/environments/production", json={"enabled": True})
    killed = api.post("/api/v1/flags/new-checkout/kill", params={"env": "production"})
    assert killed.json()["environments"]["production"]["enabled"] is False
    history = api.get("/api/v1/flags/new-checkout/history").json()
    assert [e["action"] for e in history["items"]] == [
        "flag.kill",
        "flag.environment",
        "flag.create",
    ]
    assert history["items"][0]["before"]["environments"]["production"]["enabled"] is True


def test_toggle_switches_one_environment_only(api: TestClient) -> None:
    _create(api)
    api.post("/api/v1/flags/new-checkout/environments/staging/toggle", params={"on": "true"})
    envs = api.get("/api/v1/flags/new-checkout").json()["environments"]
    assert envs == {"staging": {"enabled": True, "rules": []}}


def test_explain_says_which_rule_matched_and_why(api: TestClient) -> None:
    _create(api)
    api.put(
        "/api/v1/flags/new-checkout/environments/production",
        json={"enabled": True, "rules": ROLLOUT},
    )
    body: dict[str, Any] = {
        "environment": "production",
        "attributes": {"id": "u1", "country": "NL"},
    }
    hit = api.post("/api/v1/flags/new-checkout/explain", json=body).json()
    assert (hit["value"], hit["source"], hit["rule_id"]) == (True, "force", "beta")
    body["attributes"]["country"] = "DE"
    miss = api.post("/api/v1/flags/new-checkout/explain", json=body).json()
    assert (miss["value"], miss["source"]) == (False, "defaultValue")
    assert "condition did not match" in miss["explanation"][0]


def test_a_member_changes_only_its_own_teams_flags(api: TestClient, services: Services) -> None:
    _create(api)
    _create(api, "ranking-v2", owner="search")
    headers = {"Authorization": f"Bearer {member_token(services, 'checkout')}"}
    own = api.post("/api/v1/flags/new-checkout/kill?env=production", headers=headers)
    other = api.post("/api/v1/flags/ranking-v2/kill?env=production", headers=headers)
    assert (own.status_code, other.status_code) == (200, 403)


def test_the_sdk_ruleset_has_a_strong_etag_and_answers_304_when_unchanged(
    api: TestClient, services: Services
) -> None:
    _create(api)
    api.put(
        "/api/v1/flags/new-checkout/environments/production",
        json={"enabled": True, "rules": ROLLOUT},
    )
    headers = {"Authorization": f"Bearer {sdk_key(services, 'production')}"}
    first = api.get("/api/v1/sdk/ruleset", headers=headers)
    assert first.json()["environment"] == "production"
    assert first.json()["flags"]["new-checkout"]["rules"] == ROLLOUT
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    again = api.get("/api/v1/sdk/ruleset", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    api.post("/api/v1/flags/new-checkout/kill", params={"env": "production"})
    changed = api.get("/api/v1/sdk/ruleset", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["flags"]["new-checkout"]["enabled"] is False


def test_an_sdk_key_reads_only_its_environment_and_not_the_flags_api(
    api: TestClient, services: Services
) -> None:
    headers = {"Authorization": f"Bearer {sdk_key(services, 'staging')}"}
    assert api.get("/api/v1/sdk/ruleset?environment=production", headers=headers).status_code == 403
    assert api.get("/api/v1/flags", headers=headers).status_code == 403
    assert api.get("/api/v1/sdk/ruleset?environment=production").status_code == 200  # admin


def _stream_events(url: str, key: str, seen: list[str], ready: Any) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.stream("GET", f"{url}/api/v1/sdk/stream", headers=headers, timeout=60) as response:
        for line in response.iter_lines():
            seen.append(line)
            ready.set()
            if len([s for s in seen if s.startswith("data:")]) >= 2 and any(
                s.startswith(":") for s in seen
            ):
                return


def test_the_stream_sends_the_new_etag_after_a_change_and_heartbeats(
    services: Services, admin_token: str
) -> None:
    import threading

    add_team(services, "checkout")
    key = sdk_key(services, "production")
    with LiveServer(flags_app(services, heartbeat=0.2)) as server:
        seen: list[str] = []
        ready = threading.Event()
        reader = threading.Thread(target=_stream_events, args=(server.url, key, seen, ready))
        reader.start()
        assert ready.wait(60)
        admin = {"Authorization": f"Bearer {admin_token}"}
        body = {"key": "f", "type": "boolean", "default_value": False, "owner": "checkout"}
        assert httpx.post(f"{server.url}/api/v1/flags", json=body, headers=admin).is_success
        reader.join(60)
        etag = httpx.get(
            f"{server.url}/api/v1/sdk/ruleset", headers={"Authorization": f"Bearer {key}"}
        ).headers["etag"]
    etags = [json.loads(s.removeprefix("data:"))["etag"] for s in seen if s.startswith("data:")]
    assert len(etags) >= 2
    assert etags[-1] == etag != etags[0]
    assert ": heartbeat" in seen
