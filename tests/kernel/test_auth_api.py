"""Tokens and audit over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.errors import Unauthenticated
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.tokens import TokenService


def test_health_needs_no_token(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_requests_without_a_token_are_refused_with_the_error_shape(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/audit")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "Bearer" in response.json()["error"]["message"]


def test_unknown_token_is_refused(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/audit", headers={"Authorization": "Bearer olp_adm_nope"})
    assert response.status_code == 401


def test_a_created_token_is_shown_once_and_stored_hashed(admin: TestClient) -> None:
    created = admin.post("/api/v1/tokens", json={"role": "member", "team": "checkout"}).json()
    secret = created["secret"]
    assert secret.startswith("olp_mbr_")
    assert len(secret) > 40
    listed = admin.get("/api/v1/tokens").json()
    assert all(secret not in str(t) for t in listed)
    assert {t["team"] for t in listed} >= {"checkout"}
    me = admin.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_revoked_token_stops_working(admin: TestClient) -> None:
    created = admin.post("/api/v1/tokens", json={"role": "viewer"}).json()
    headers = {"Authorization": f"Bearer {created['secret']}"}
    assert admin.get("/api/v1/audit", headers=headers).status_code == 200
    assert admin.delete(f"/api/v1/tokens/{created['token']['id']}").status_code == 200
    assert admin.get("/api/v1/audit", headers=headers).status_code == 401


def test_member_token_needs_a_team(admin: TestClient) -> None:
    response = admin.post("/api/v1/tokens", json={"role": "member"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == "team"


def test_unknown_role_names_the_field(admin: TestClient) -> None:
    response = admin.post("/api/v1/tokens", json={"role": "superuser"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == "role"


def test_only_admins_create_tokens(admin: TestClient) -> None:
    viewer = admin.post("/api/v1/tokens", json={"role": "viewer"}).json()["secret"]
    response = admin.post(
        "/api/v1/tokens", json={"role": "admin"}, headers={"Authorization": f"Bearer {viewer}"}
    )
    assert response.status_code == 403
    assert "admin" in response.json()["error"]["message"]


def test_token_changes_land_in_the_audit_log(admin: TestClient) -> None:
    created = admin.post("/api/v1/tokens", json={"role": "sdk", "environment": "production"}).json()
    admin.delete(f"/api/v1/tokens/{created['token']['id']}")
    entries = admin.get("/api/v1/audit", params={"resource_kind": "token"}).json()["items"]
    actions = [e["action"] for e in entries if e["resource_id"] == created["token"]["id"]]
    assert actions == ["token.revoke", "token.create"]
    revoke = entries[0]
    assert revoke["before"]["revoked_at"] is None
    assert revoke["after"]["revoked_at"] is not None
    assert "first-admin" in revoke["actor"]


def test_a_revocation_reaches_other_replicas_within_the_cache_time(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgloop.kernel import tokens as tokens_module

    now = [1000.0]
    monkeypatch.setattr(tokens_module.time, "monotonic", lambda: now[0])
    created = services.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM)
    other_replica = TokenService(
        db=services.db, audit=services.audit, clock=services.clock, ids=services.ids
    )
    assert other_replica.authenticate(created.secret).token_id == created.token.id
    services.tokens.revoke(created.token.id, actor=SYSTEM)
    with pytest.raises(Unauthenticated):
        services.tokens.authenticate(created.secret)  # this replica: at once
    assert other_replica.authenticate(created.secret)  # the other: still cached
    now[0] += tokens_module.CACHE_SECONDS + 0.1
    with pytest.raises(Unauthenticated):
        other_replica.authenticate(created.secret)
