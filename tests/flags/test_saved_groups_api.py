"""Saved groups over HTTP, on SQLite and PostgreSQL: define once, name from many flag rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.flags.models import MAX_GROUP_VALUES
from tests.sdk.server import add_team, member_token, sdk_key

IN_BETA = {"kind": "force", "condition": {"id": {"$inGroup": "beta"}}, "value": True}


@pytest.fixture
def api(services: Services, admin: TestClient) -> TestClient:
    add_team(services, "checkout")
    add_team(services, "search")
    return admin


def _group(api: TestClient, key: str = "beta", **fields: Any) -> Any:
    body = {"key": key, "owner": "checkout", "values": ["u1", "u2"], **fields}
    return api.post("/api/v1/saved-groups", json=body)


def _flag(api: TestClient, key: str = "new-checkout", rules: Any = None) -> Any:
    body = {"key": key, "type": "boolean", "default_value": False, "owner": "checkout"}
    assert api.post("/api/v1/flags", json=body).status_code == 201
    config = {"enabled": True, "rules": rules if rules is not None else [IN_BETA]}
    return api.put(f"/api/v1/flags/{key}/environments/production", json=config)


def _paths(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["path"] for e in response.json()["error"]["details"]["errors"]]


def test_a_group_is_created_listed_shown_replaced_and_deleted(api: TestClient) -> None:
    created = _group(api, description="Early customers", values=["u1", 7, 2.5, "u1"])
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == "group:default/checkout"
    assert created.json()["values"] == ["u1", 7, 2.5]  # duplicates kept once
    _group(api, "staff", owner="search")
    listed = api.get("/api/v1/saved-groups", params={"owner": "checkout"}).json()
    assert [g["key"] for g in listed["items"]] == ["beta"]
    replaced = api.put("/api/v1/saved-groups/beta", json={"owner": "checkout", "values": ["u9"]})
    assert replaced.json()["values"] == ["u9"]
    assert api.get("/api/v1/saved-groups/beta").json()["description"] == ""
    assert api.delete("/api/v1/saved-groups/beta").status_code == 204
    assert api.get("/api/v1/saved-groups/beta").status_code == 404


def test_a_duplicate_key_is_a_conflict(api: TestClient) -> None:
    _group(api)
    assert _group(api).status_code == 409


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        pytest.param({"owner": "nobody"}, "owner", id="unknown-owner"),
        pytest.param({"key": "no spaces"}, "key", id="bad-key"),
        pytest.param({"values": ["ok", True]}, "values[1]", id="boolean-value"),
        pytest.param({"values": [{"id": 1}]}, "values[0]", id="object-value"),
        pytest.param({"values": ["x" * 401]}, "values[0]", id="too-long-string"),
        pytest.param({"values": "u1"}, "values", id="not-a-list"),
        pytest.param({"values": list(range(MAX_GROUP_VALUES + 1))}, "values", id="too-many"),
    ],
)
def test_bad_groups_are_refused_with_their_field_path(
    api: TestClient, fields: dict[str, Any], path: str
) -> None:
    assert path in _paths(_group(api, **fields))


def test_a_rule_naming_an_unknown_group_is_refused_with_its_path(api: TestClient) -> None:
    rules = [{"kind": "force", "value": True,
              "condition": {"$or": [{"id": {"$notInGroup": "nobody"}}]}}]  # fmt: skip
    assert _paths(_flag(api, rules=rules)) == ["rules[0].condition.$or[0].id.$notInGroup"]
    body = {"key": "g", "owner": "checkout", "environments": {"staging": {"rules": [IN_BETA]}}}
    assert _paths(api.post("/api/v1/flags", json=body)) == [
        "environments.staging.rules[0].condition.id.$inGroup"
    ]


def test_deleting_a_group_a_rule_uses_is_a_conflict_naming_the_flags(api: TestClient) -> None:
    _group(api)
    assert _flag(api).status_code == 200
    response = api.delete("/api/v1/saved-groups/beta")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["flags"] == ["new-checkout"]
    assert "new-checkout (production)" in response.json()["error"]["message"]
    api.put("/api/v1/flags/new-checkout/environments/production", json={"enabled": True})
    assert api.delete("/api/v1/saved-groups/beta").status_code == 204


def test_the_ruleset_carries_the_groups_its_rules_name_and_its_etag_follows_them(
    api: TestClient, services: Services
) -> None:
    _group(api)
    _group(api, "unused", values=["x"])
    _flag(api)
    headers = {"Authorization": f"Bearer {sdk_key(services, 'production')}"}
    first = api.get("/api/v1/sdk/ruleset", headers=headers)
    assert first.json()["saved_groups"] == {"beta": ["u1", "u2"]}
    staging = api.get("/api/v1/sdk/ruleset", params={"environment": "staging"}).json()
    assert staging["saved_groups"] == {}
    api.put("/api/v1/saved-groups/unused", json={"owner": "checkout", "values": ["y"]})
    same = api.get(
        "/api/v1/sdk/ruleset", headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert same.status_code == 304
    api.put("/api/v1/saved-groups/beta", json={"owner": "checkout", "values": ["u3"]})
    changed = api.get(
        "/api/v1/sdk/ruleset", headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200
    assert changed.json()["saved_groups"] == {"beta": ["u3"]}


def test_explain_evaluates_group_membership(api: TestClient) -> None:
    _group(api)
    _flag(api)
    body = {"environment": "production", "attributes": {"id": "u2"}}
    assert api.post("/api/v1/flags/new-checkout/explain", json=body).json()["value"] is True
    body["attributes"] = {"id": "u3"}
    assert api.post("/api/v1/flags/new-checkout/explain", json=body).json()["value"] is False


def test_a_member_changes_only_its_own_teams_groups_and_changes_are_audited(
    api: TestClient, services: Services
) -> None:
    _group(api)
    _group(api, "staff", owner="search")
    headers = {"Authorization": f"Bearer {member_token(services, 'checkout')}"}
    own = api.put("/api/v1/saved-groups/beta", json={"owner": "checkout", "values": []},
                  headers=headers)  # fmt: skip
    other = api.delete("/api/v1/saved-groups/staff", headers=headers)
    taken = api.put("/api/v1/saved-groups/beta", json={"owner": "search", "values": []},
                    headers=headers)  # fmt: skip
    assert (own.status_code, other.status_code, taken.status_code) == (200, 403, 403)
    params = {"resource_kind": "saved_group", "resource_id": "beta"}
    audit = api.get("/api/v1/audit", params=params).json()["items"]
    assert [e["action"] for e in audit] == ["saved_group.update", "saved_group.create"]
    assert (audit[0]["before"]["values"], audit[0]["after"]["values"]) == (["u1", "u2"], [])
    assert "checkout" in audit[0]["actor"]


def test_a_rule_naming_a_group_and_that_groups_delete_cannot_both_win(
    api: TestClient, services: Services, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The delete has checked that no rule names the group and is about to commit when a flag
    # write names it: one of the two must fail, or a rule would name a group that is gone.
    import threading

    from orgloop.flags import saved_groups

    assert _group(api).status_code == 201
    assert _flag(api, rules=[]).status_code == 200
    checked, resume = threading.Event(), threading.Event()
    real_users_of = saved_groups.users_of

    def users_then_pause(group: str, flags: Any) -> Any:
        users = real_users_of(group, flags)
        checked.set()
        resume.wait(timeout=30)
        return users

    monkeypatch.setattr(saved_groups, "users_of", users_then_pause)
    results: dict[str, int] = {}

    def delete() -> None:
        results["delete"] = api.delete("/api/v1/saved-groups/beta").status_code

    def name_it() -> None:
        config = {"enabled": True, "rules": [IN_BETA]}
        put = api.put("/api/v1/flags/new-checkout/environments/production", json=config)
        results["rule"] = put.status_code

    deleting = threading.Thread(target=delete)
    deleting.start()
    assert checked.wait(timeout=30)
    naming = threading.Thread(target=name_it)
    naming.start()
    naming.join(timeout=1.0)
    assert naming.is_alive(), "the flag write did not wait for the group's delete"
    resume.set()
    deleting.join(timeout=30)
    naming.join(timeout=30)
    assert results == {"delete": 204, "rule": 422}
    rules = api.get("/api/v1/flags/new-checkout").json()["environments"]["production"]["rules"]
    assert rules == []


def test_a_stale_if_match_on_a_saved_group_is_412_and_changes_nothing(api: TestClient) -> None:
    """Two people read the group; the first one's change wins, the second is told it changed."""
    assert _group(api).status_code == 201
    read = api.get("/api/v1/saved-groups/beta")
    etag = read.headers["ETag"]
    body = {"owner": "checkout", "values": ["u1", "u2", "u3"]}
    first = api.put("/api/v1/saved-groups/beta", json=body, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] != etag
    stale = api.put(
        "/api/v1/saved-groups/beta",
        json={"owner": "checkout", "values": ["u9"]},
        headers={"If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert api.get("/api/v1/saved-groups/beta").json()["values"] == ["u1", "u2", "u3"]
    again = api.put(
        "/api/v1/saved-groups/beta", json=body, headers={"If-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200  # the ETag of the answer is the one to send next
    assert api.put("/api/v1/saved-groups/beta", json=body).status_code == 200  # unchecked
