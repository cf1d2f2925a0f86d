"""The deprecation report over HTTP and from the CLI, on SQLite and PostgreSQL: the demo shop's
checkout still uses orders' deprecated GET and still needs orders 1.x."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.registry_builders import CHECKOUT_LIGHT, orders_api
from tests.contracts.test_can_i_deploy_api import contract, deploy
from tests.contracts.test_registry_api import api, publish

__all__ = ["api"]


def deprecated(document: dict[str, Any], *, sunset: str | None = None, info_sunset: str | None = None) -> dict[str, Any]:  # fmt: skip
    document = copy.deepcopy(document)
    if sunset:
        operation = document["paths"]["/orders/{id}"]["get"]
        operation["deprecated"], operation["x-sunset"] = True, sunset
    if info_sunset:
        document["info"]["x-sunset"] = info_sunset
    return document


def report(client: TestClient, **params: str) -> Any:
    response = client.get("/api/v1/deprecations", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def shop(api: TestClient) -> TestClient:
    """orders 1.0.0 and 1.1.0 (GET /orders/{id} deprecated, sunset 2026-06-30) recorded;
    checkout 3.1.0 reads ``total`` from it; both run in production."""
    assert publish(api, "1.0.0", orders_api()).status_code == 201
    assert publish(api, "1.1.0", deprecated(orders_api(), sunset="2026-06-30")).status_code == 201
    contract(api, "light", CHECKOUT_LIGHT)
    assert deploy(api, "orders", "1.1.0").status_code == 201
    assert deploy(api, "checkout", "3.1.0").status_code == 201
    return api


def test_a_consumer_of_a_deprecated_operation_is_listed_with_its_sunset_and_teams(shop: TestClient) -> None:  # fmt: skip
    found = report(shop, provider="orders", environment="production")
    [use] = found["uses"]
    assert use["kind"] == "deprecated_operation"
    assert (use["consumer"], use["consumer_version"], use["consumer_team"]) == ("checkout", "3.1.0", "checkout")  # fmt: skip
    assert (use["provider_version"], use["provider_team"]) == ("1.1.0", "fulfilment")
    assert (use["operation"], use["sunset"], use["days_left"]) == ("GET /orders/{id}", "2026-06-30", 180)  # fmt: skip
    assert use["past_sunset"] is False
    assert found["summary"] == {"deprecated_operation": 1, "old_major_version": 0, "past_sunset": 0, "consumers": 1}  # fmt: skip
    assert found["as_of"] == "2026-01-01"


def test_an_environment_where_the_consumer_does_not_run_has_nothing(shop: TestClient) -> None:
    deploy(shop, "orders", "1.1.0", env="staging")
    assert report(shop, environment="staging")["uses"] == []
    assert len(report(shop)["uses"]) == 1  # every environment


def test_a_consumer_that_still_needs_the_old_major_version_is_listed(shop: TestClient) -> None:
    assert publish(shop, "1.2.0", orders_api(version="1.2.0") | {"info": {"title": "Orders API", "version": "1.2.0", "x-sunset": "2026-03-31"}}).status_code == 201  # fmt: skip
    assert publish(shop, "2.0.0", orders_api(with_total=False)).status_code == 201
    deploy(shop, "orders", "2.0.0")
    deploy(shop, "orders", "1.2.0", action="releases")
    [use] = report(shop, provider="orders")["uses"]
    assert (use["kind"], use["provider_version"], use["latest_version"]) == ("old_major_version", "1.2.0", "2.0.0")  # fmt: skip
    assert use["sunset"] == "2026-03-31"
    assert "total" in use["detail"]


def test_an_unknown_provider_is_not_found(shop: TestClient) -> None:
    response = shop.get("/api/v1/deprecations", params={"provider": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
