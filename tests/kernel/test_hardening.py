"""The edge holds against a careless user and a hostile page: lock-out, wildcards, headers,
malformed and oversized bodies, media types, stale cookies, cross-site forms, stored poison."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.catalog.builders import shop_payload
from tests.cli import run

from orgloop.app import Services


def _never(literal: str) -> Any:
    raise ValueError(f"not RFC 8259 JSON: {literal}")


def test_revoking_the_last_admin_token_is_refused_naming_the_remedy(
    admin: TestClient, services: Services
) -> None:
    first = admin.get("/api/v1/tokens").json()[0]["id"]
    refused = admin.delete(f"/api/v1/tokens/{first}")
    assert refused.status_code == 409
    assert "orgloop tokens recover" in refused.json()["error"]["message"]
    assert admin.get("/api/v1/tokens").status_code == 200  # still in
    second = admin.post("/api/v1/tokens", json={"role": "admin", "name": "spare"}).json()
    assert admin.delete(f"/api/v1/tokens/{first}").status_code == 200
    spare = {"Authorization": f"Bearer {second['secret']}"}
    assert admin.delete(f"/api/v1/tokens/{second['token']['id']}", headers=spare).status_code == 409


def test_tokens_recover_creates_an_audited_admin_token_from_the_database(
    admin: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGLOOP_DATABASE_URL", str(services.db.engine.url.render_as_string(False)))
    result = run("tokens", "recover", "--json")
    assert result.exit_code == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["token"]["role"] == "admin"
    recovered = {"Authorization": f"Bearer {created['secret']}"}
    assert admin.get("/api/v1/tokens", headers=recovered).status_code == 200
    entries = admin.get("/api/v1/audit", params={"action": "token.create"}).json()["items"]
    assert entries[0]["actor"].startswith("recovery")


def test_tokens_recover_names_a_missing_data_directory(tmp_path: Any) -> None:
    result = run("tokens", "recover", "--data-dir", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert "no orgloop database" in result.stderr


def test_audit_action_filter_takes_wildcards_literally(admin: TestClient) -> None:
    admin.post("/api/v1/tokens", json={"role": "viewer"})
    assert admin.get("/api/v1/audit", params={"action": "token."}).json()["total"] >= 1
    for wildcard in ("%", "_", "token_create"):
        assert admin.get("/api/v1/audit", params={"action": wildcard}).json()["total"] == 0


def test_error_pages_carry_the_security_headers(admin: TestClient) -> None:
    for response in (
        admin.get("/api/v1/nothing-here"),
        admin.get("/no-such-page", headers={"Accept": "text/html"}),
        admin.get("/api/v1/flags/no-such-flag"),
        admin.post("/api/v1/tokens", content=b"{", headers={"Content-Type": "application/json"}),
    ):
        assert response.status_code in (400, 404), response.text
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_error_is_a_500_with_the_security_headers(
    admin: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.audit, "list", broken)
    response = admin.get("/api/v1/audit")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_chunked_body_over_the_limit_is_413(admin: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * (1024 * 1024)

    response = admin.post(
        "/api/v1/tokens", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_events_refuse_a_body_that_is_not_json(admin: TestClient) -> None:
    body = json.dumps({"events": []})
    response = admin.post("/api/v1/events", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]


def test_a_revoked_token_in_the_cookie_shows_the_login_form_with_401(
    admin: TestClient, app_client: TestClient
) -> None:
    created = admin.post("/api/v1/tokens", json={"role": "viewer", "name": "gone"}).json()
    admin.delete(f"/api/v1/tokens/{created['token']['id']}")
    browser = TestClient(app_client.app, raise_server_exceptions=False)
    browser.cookies.set("orgloop_token", created["secret"])
    page = browser.get("/teams", follow_redirects=False)
    assert page.status_code == 401
    assert "revoked" in page.text
    assert "orgloop_token=" in page.headers.get("set-cookie", "")  # the stale cookie is cleared
    fresh = TestClient(app_client.app, raise_server_exceptions=False)
    assert fresh.get("/teams", follow_redirects=False).status_code == 303  # no cookie: to login


def test_login_and_logout_refuse_cross_site_posts(admin: TestClient, admin_token: str) -> None:
    browser = TestClient(admin.app, raise_server_exceptions=False)
    evil = {"Origin": "https://evil.example"}
    login = browser.post(
        "/login", data={"token": admin_token}, headers=evil, follow_redirects=False
    )
    assert login.status_code == 403
    assert "set-cookie" not in login.headers
    assert browser.post("/logout", headers=evil, follow_redirects=False).status_code == 403
    here = {"Origin": "http://testserver"}
    ok = browser.post("/login", data={"token": admin_token}, headers=here, follow_redirects=False)
    assert ok.status_code == 303
    referer = {"Referer": "https://evil.example/page"}
    assert browser.post("/logout", headers=referer, follow_redirects=False).status_code == 403


def test_the_sdk_ruleset_is_strict_json_and_non_finite_flags_are_refused(
    admin: TestClient, services: Services
) -> None:
    from orgloop.kernel.auth import SYSTEM
    from orgloop.kernel.models import TokenCreate

    imported = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert imported.status_code == 200
    for literal in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = (
            '{"key": "f", "owner": "checkout", "type": "number", "default_value": ' + literal + "}"
        )
        response = admin.post(
            "/api/v1/flags", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, literal
        assert "default_value" in response.json()["error"]["message"]
    weights = (
        '{"enabled": true, "rules": [{"kind": "rollout", "variations": [1, 2],'
        ' "weights": [NaN, NaN]}]}'
    )
    response = admin.put(
        "/api/v1/flags/f/environments/production",
        content=weights,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "rules[0].weights[0]" in response.json()["error"]["message"]
    key = services.tokens.create(TokenCreate(role="sdk", environment="production"), actor=SYSTEM)
    served = admin.get(
        "/api/v1/sdk/ruleset",
        params={"environment": "production"},
        headers={"Authorization": f"Bearer {key.secret}"},
    )
    assert served.status_code == 200
    json.loads(served.text, parse_constant=_never)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_stored_before_the_door_never_breaks_a_listing(
    admin: TestClient, services: Services
) -> None:
    """PostgreSQL cannot hold a lone surrogate at all; SQLite can, from before the door."""
    admin.post("/api/v1/tokens", json={"role": "viewer", "name": "fine"})
    poisoned = '{"name": "a\\ud800b", "weight": NaN}'  # as JSON text, the way SQLite keeps it
    with services.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET after = :p"), {"p": poisoned})
    listing = admin.get("/api/v1/audit")
    assert listing.status_code == 200
    after = listing.json()["items"][0]["after"]
    assert after == {"name": "a\ufffdb", "weight": None}
    json.loads(listing.text, parse_constant=_never)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_ruleset_holding_a_non_finite_number_from_before_the_door_is_still_strict_json(
    admin: TestClient, services: Services
) -> None:
    from orgloop.flags.models import FlagCreate
    from orgloop.kernel.auth import SYSTEM

    imported = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert imported.status_code == 200
    flag = {"key": "old", "owner": "checkout", "type": "number", "default_value": float("nan")}
    services.flags.create_flag(FlagCreate.model_validate(flag), actor=SYSTEM)
    key = admin.post("/api/v1/tokens", json={"role": "sdk", "environment": "production"}).json()
    served = admin.get("/api/v1/sdk/ruleset", headers={"Authorization": f"Bearer {key['secret']}"})
    assert served.status_code == 200
    json.loads(served.text, parse_constant=_never)
    assert "NaN" not in served.text  # the stored NaN is served as null
