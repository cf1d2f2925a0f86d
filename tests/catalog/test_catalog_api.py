"""The catalog over HTTP, on SQLite and PostgreSQL: import, listings, ownership, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog.builders import component, shop_payload


def _import(client: TestClient, entities: list[dict[str, Any]], **options: Any) -> Any:
    return client.post("/api/v1/catalog/import", json={"entities": entities, **options})


@pytest.fixture
def shop(admin: TestClient) -> TestClient:
    response = _import(admin, shop_payload())
    assert response.status_code == 200, response.text
    return admin


def _member(client: TestClient, team: str) -> dict[str, str]:
    secret = client.post("/api/v1/tokens", json={"role": "member", "team": team}).json()["secret"]
    return {"Authorization": f"Bearer {secret}"}


def test_import_creates_every_entity_and_its_relations(admin: TestClient) -> None:
    report = _import(admin, shop_payload()).json()
    assert len(report["created"]) == 47
    assert report["updated"] == []
    assert report["unchanged"] == 0
    assert report["relations"] > 100


def test_reimporting_the_same_files_changes_nothing(shop: TestClient) -> None:
    report = _import(shop, shop_payload()).json()
    assert report["created"] == []
    assert report["updated"] == []
    assert report["unchanged"] == 47


def test_entities_missing_from_the_source_are_reported_and_kept_without_prune(
    shop: TestClient,
) -> None:
    without_search = [
        e for e in shop_payload() if e["descriptor"]["metadata"]["name"] != "shipping"
    ]
    without_search = [e for e in without_search if "shipping-api" not in str(e["descriptor"])]
    report = _import(shop, without_search).json()
    assert "component:default/shipping" in report["missing"]
    assert report["removed"] == []
    assert shop.get("/api/v1/services/shipping").status_code == 200
    pruned = _import(shop, without_search, prune=True).json()
    assert "component:default/shipping" in pruned["removed"]
    assert shop.get("/api/v1/services/shipping").status_code == 404


def test_a_rejected_import_stores_nothing(admin: TestClient) -> None:
    entities = [*shop_payload(), component("ghost", "no-such-team")]
    response = _import(admin, entities)
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert any(e["file"] == "ghost.yaml" and e["path"] == "spec.owner" for e in errors)
    assert admin.get("/api/v1/catalog/entities").json()["total"] == 0


def test_dry_run_reports_without_changing(admin: TestClient) -> None:
    report = _import(admin, shop_payload(), dry_run=True).json()
    assert report["dry_run"] is True
    assert len(report["created"]) == 47
    assert admin.get("/api/v1/catalog/entities").json()["total"] == 0


def test_services_filter_by_owner_system_and_lifecycle(shop: TestClient) -> None:
    by_owner = shop.get("/api/v1/services", params={"owner": "checkout"}).json()
    assert [s["name"] for s in by_owner["items"]] == ["cart", "checkout", "payments"]
    by_system = shop.get("/api/v1/services", params={"system": "fulfilment"}).json()
    assert {s["name"] for s in by_system["items"]} == {"orders", "inventory", "shipping"}
    assert shop.get("/api/v1/services", params={"lifecycle": "experimental"}).json()["total"] == 0


def test_listings_paginate(shop: TestClient) -> None:
    first = shop.get("/api/v1/services", params={"limit": 4}).json()
    second = shop.get("/api/v1/services", params={"limit": 4, "offset": 4}).json()
    assert first["total"] == 11
    assert len(first["items"]) == 4
    assert not {s["ref"] for s in first["items"]} & {s["ref"] for s in second["items"]}


def test_a_service_shows_owner_apis_and_dependencies(shop: TestClient) -> None:
    service = shop.get("/api/v1/services/checkout").json()
    assert service["owner"] == "group:default/checkout"
    relations = {(r["type"], r["target"]) for r in service["relations"]}
    assert ("providesApi", "api:default/checkout-api") in relations
    assert ("consumesApi", "api:default/payments-api") in relations
    assert ("ownedBy", "group:default/checkout") in relations


def test_teams_list_only_groups_of_type_team(shop: TestClient) -> None:
    teams = shop.get("/api/v1/teams").json()
    assert {t["name"] for t in teams["items"]} == {
        "web-experience",
        "checkout",
        "discovery",
        "fulfilment",
        "platform",
    }
    assert shop.get("/api/v1/teams/digital").status_code == 404


def test_a_member_changes_what_its_team_owns(shop: TestClient) -> None:
    headers = _member(shop, "checkout")
    body = component("payments", "checkout", providesApis=["payments-api"], system="buying")
    body["descriptor"]["metadata"]["description"] = "Cards, wallets and vouchers."
    response = shop.put("/api/v1/catalog/entities", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "Cards, wallets and vouchers."


def test_a_write_to_another_teams_service_is_403_naming_the_owner(shop: TestClient) -> None:
    headers = _member(shop, "checkout")
    response = shop.put(
        "/api/v1/catalog/entities", json=component("orders", "checkout"), headers=headers
    )
    assert response.status_code == 403
    assert "fulfilment" in response.json()["error"]["message"]
    gone = shop.delete("/api/v1/catalog/entities/component/default/orders", headers=headers)
    assert gone.status_code == 403


def test_a_viewer_reads_but_does_not_write(shop: TestClient) -> None:
    secret = shop.post("/api/v1/tokens", json={"role": "viewer"}).json()["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert shop.get("/api/v1/services", headers=headers).status_code == 200
    response = shop.put(
        "/api/v1/catalog/entities", json=component("x", "checkout"), headers=headers
    )
    assert response.status_code == 403


def test_changes_are_audited_with_before_and_after(shop: TestClient) -> None:
    body = component("payments", "checkout", providesApis=["payments-api"], system="buying")
    body["descriptor"]["spec"]["lifecycle"] = "deprecated"
    shop.put("/api/v1/catalog/entities", json=body)
    entries = shop.get(
        "/api/v1/audit", params={"resource_id": "component:default/payments"}
    ).json()["items"]
    assert [e["action"] for e in entries] == ["catalog.entity.update", "catalog.entity.create"]
    assert entries[0]["before"]["spec"]["lifecycle"] == "production"
    assert entries[0]["after"]["spec"]["lifecycle"] == "deprecated"


def test_deleting_a_team_that_owns_services_is_refused(shop: TestClient) -> None:
    response = shop.delete(
        "/api/v1/catalog/entities/group/default/payments-team-that-does-not-exist"
    )
    assert response.status_code == 404
    response = shop.delete("/api/v1/catalog/entities/group/default/fulfilment")
    assert response.status_code == 422
    assert "spec.owner" in str(response.json()["error"]["details"])


def test_export_returns_descriptors_that_import_unchanged(shop: TestClient) -> None:
    exported = shop.get("/api/v1/catalog/export").json()
    assert len(exported) == 47
    again = _import(shop, [{"descriptor": d} for d in exported]).json()
    assert again["unchanged"] == 47
