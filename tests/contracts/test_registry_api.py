"""The API version registry and consumer contracts over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.catalog.builders import shop_payload
from tests.contracts.registry_builders import (
    CHECKOUT_LIGHT,
    checkout_pact,
    contracts_app,
    orders_api,
)


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    """An admin client of an app with the contracts router, the demo shop imported."""
    secret = services.tokens.bootstrap_admin()
    assert secret is not None
    with TestClient(contracts_app(services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {secret.secret}"
        response = client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
        assert response.status_code == 200, response.text
        yield client


def publish(client: TestClient, version: str, document: Any, service: str = "orders") -> Any:
    body = {"version": version, "document": document}
    return client.post(f"/api/v1/services/{service}/api-versions", json=body)


def member(client: TestClient, team: str) -> dict[str, str]:
    secret = client.post("/api/v1/tokens", json={"role": "member", "team": team}).json()["secret"]
    return {"Authorization": f"Bearer {secret}"}


def test_versions_are_listed_in_semver_order_and_documents_stored_once(api: TestClient) -> None:
    assert publish(api, "1.0.0", orders_api()).status_code == 201
    assert publish(api, "1.10.0", orders_api()).status_code == 201
    assert publish(api, "1.2.0", orders_api()).status_code == 201
    versions = api.get("/api/v1/services/orders/api-versions").json()
    assert [v["version"] for v in versions] == ["1.0.0", "1.2.0", "1.10.0"]
    assert len({v["digest"] for v in versions}) == 1


def test_a_breaking_change_without_a_major_bump_is_refused_with_its_findings(
    api: TestClient,
) -> None:
    publish(api, "1.0.0", orders_api())
    refused = publish(api, "1.1.0", orders_api(with_total=False))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "semver_violation"
    assert any(f["operation"] == "GET /orders/{id}" for f in error["details"]["findings"])
    versions = api.get("/api/v1/services/orders/api-versions").json()
    assert [v["version"] for v in versions] == ["1.0.0"]
    assert publish(api, "2.0.0", orders_api(with_total=False)).status_code == 201


def test_yaml_text_is_accepted_and_republishing_the_same_version_is_idempotent(
    api: TestClient,
) -> None:
    text = "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths: {}\n"
    first = publish(api, "1.0.0", text)
    assert first.status_code == 201
    assert publish(api, "1.0.0", text).json()["digest"] == first.json()["digest"]
    assert publish(api, "1.0.0", orders_api()).status_code == 409


@pytest.mark.parametrize(
    ("version", "document", "path"),
    [
        ("one", orders_api(), "version"),
        ("1.0.0", {"info": {}}, "document"),
    ],
    ids=["not-semver", "not-openapi"],
)
def test_bad_input_is_refused_with_a_path(
    api: TestClient, version: str, document: Any, path: str
) -> None:
    response = publish(api, version, document)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"].startswith(path)


def test_changelog_lists_the_findings_between_two_versions(api: TestClient) -> None:
    publish(api, "1.0.0", orders_api())
    publish(api, "2.0.0", orders_api(with_total=False))
    log = api.get("/api/v1/services/orders/api-versions/1.0.0/changelog/2.0.0").json()
    assert log["summary"]["error"] >= 1
    assert log["changes"][0]["level"] == "error"
    missing = api.get("/api/v1/services/orders/api-versions/1.0.0/changelog/9.0.0")
    assert missing.status_code == 404


def test_only_the_owning_team_publishes_and_every_change_is_audited(api: TestClient) -> None:
    other = publish_as(api, member(api, "checkout"))
    assert other.status_code == 403
    owner = publish_as(api, member(api, "fulfilment"))
    assert owner.status_code == 201, owner.text
    audit = api.get("/api/v1/audit", params={"action": "contracts."}).json()["items"]
    assert [a["resource_id"] for a in audit] == ["orders@1.0.0"]


def publish_as(api: TestClient, headers: dict[str, str]) -> Any:
    body = {"version": "1.0.0", "document": orders_api()}
    return api.post("/api/v1/services/orders/api-versions", json=body, headers=headers)


def test_unknown_service_is_not_found(api: TestClient) -> None:
    assert publish(api, "1.0.0", orders_api(), service="nope").status_code == 404


@pytest.mark.parametrize("spec", ["2.0.0", "3.0.0", "4.0"], ids=["v2", "v3", "v4"])
def test_pact_files_are_accepted(api: TestClient, spec: str) -> None:
    pact = checkout_pact(spec)
    if spec.startswith("4"):
        pact["interactions"][0]["type"] = "Synchronous/HTTP"
    body = {"consumer_version": "3.1.0", "provider": "orders", "kind": "pact", "content": pact}
    response = api.post("/api/v1/services/checkout/contracts", json=body)
    assert response.status_code == 201, response.text
    listed = api.get("/api/v1/contracts", params={"provider": "orders"}).json()
    assert [(c["consumer"], c["kind"]) for c in listed] == [("checkout", "pact")]


def test_an_unknown_pact_version_is_refused_with_its_location(api: TestClient) -> None:
    body = {
        "consumer_version": "3.1.0", "provider": "orders", "kind": "pact",
        "content": checkout_pact("5.0.0"),
    }  # fmt: skip
    response = api.post("/api/v1/services/checkout/contracts", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == "content.metadata"


def test_light_contracts_and_verifications_are_recorded(api: TestClient) -> None:
    body = {"consumer_version": "3.1.0", "provider": "orders", "kind": "light", "content": CHECKOUT_LIGHT}  # fmt: skip
    assert api.post("/api/v1/services/checkout/contracts", json=body).status_code == 201
    result = {
        "provider_version": "1.0.0", "consumer": "checkout", "consumer_version": "3.1.0",
        "success": True, "results": {"tests": 1},
    }  # fmt: skip
    response = api.post("/api/v1/services/orders/verifications", json=result)
    assert response.status_code == 201, response.text
    assert response.json()["success"] is True
