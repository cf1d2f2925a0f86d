"""Deployments, releases and can-i-deploy over HTTP: the demo shop's orders and checkout."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.registry_builders import CHECKOUT_LIGHT, checkout_pact, orders_api
from tests.contracts.test_registry_api import api, publish

__all__ = ["api"]


def deploy(client: TestClient, service: str, version: str, env: str = "production", action: str = "deployments") -> Any:  # fmt: skip
    body = {"version": version, "environment": env}
    return client.post(f"/api/v1/services/{service}/{action}", json=body)


def contract(client: TestClient, kind: str, content: Any, version: str = "3.1.0") -> None:
    body = {"consumer_version": version, "provider": "orders", "kind": kind, "content": content}
    assert client.post("/api/v1/services/checkout/contracts", json=body).status_code == 201


def ask(client: TestClient, service: str, version: str, env: str = "production") -> Any:
    params = {"service": service, "version": version, "environment": env}
    response = client.get("/api/v1/can-i-deploy", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def shop(api: TestClient) -> TestClient:
    """orders 1.0.0 and 2.0.0 (without ``total``) recorded; orders 1.0.0 runs in production."""
    publish(api, "1.0.0", orders_api())
    publish(api, "2.0.0", orders_api(with_total=False))
    assert deploy(api, "orders", "1.0.0").status_code == 201
    return api


@pytest.mark.parametrize("kind", ["light", "pact"])
def test_a_provider_version_that_breaks_a_deployed_consumer_is_refused(
    shop: TestClient, kind: str
) -> None:
    contract(shop, kind, CHECKOUT_LIGHT if kind == "light" else checkout_pact())
    deploy(shop, "checkout", "3.1.0")
    verdict = ask(shop, "orders", "2.0.0")
    assert verdict["deployable"] is False
    reason = verdict["reasons"][0]
    assert (reason["service"], reason["version"], reason["team"]) == ("checkout", "3.1.0", "checkout")  # fmt: skip
    assert "total" in reason["detail"]
    assert ask(shop, "orders", "1.0.0")["deployable"] is True


def test_a_consumer_not_in_the_environment_does_not_block(shop: TestClient) -> None:
    contract(shop, "light", CHECKOUT_LIGHT)
    deploy(shop, "checkout", "3.1.0", env="staging")
    assert ask(shop, "orders", "2.0.0") == {**ask(shop, "orders", "2.0.0"), "deployable": True}


def test_a_supported_release_counts_until_support_ends(shop: TestClient) -> None:
    contract(shop, "light", CHECKOUT_LIGHT)
    deploy(shop, "checkout", "3.1.0", action="releases")
    assert ask(shop, "orders", "2.0.0")["deployable"] is False
    assert deploy(shop, "checkout", "3.1.0", action="releases/end").status_code == 204
    assert ask(shop, "orders", "2.0.0")["deployable"] is True


def test_as_a_consumer_the_needed_provider_must_be_present_and_keep_the_contract(
    shop: TestClient,
) -> None:
    contract(shop, "light", CHECKOUT_LIGHT)
    assert ask(shop, "checkout", "3.1.0", env="staging")["reasons"][0]["kind"] == "provider_missing"
    assert ask(shop, "checkout", "3.1.0")["deployable"] is True
    deploy(shop, "orders", "2.0.0")
    verdict = ask(shop, "checkout", "3.1.0")
    assert verdict["deployable"] is False
    assert verdict["reasons"][0]["service"] == "orders"
    assert verdict["reasons"][0]["team"] == "fulfilment"


def test_unknown_without_documents_and_verification_results_decide(shop: TestClient) -> None:
    assert ask(shop, "orders", "3.0.0")["deployable"] is None
    contract(shop, "light", CHECKOUT_LIGHT)
    deploy(shop, "checkout", "3.1.0")
    result = {"provider_version": "2.0.0", "consumer": "checkout", "consumer_version": "3.1.0", "success": True}  # fmt: skip
    shop.post("/api/v1/services/orders/verifications", json=result)
    assert ask(shop, "orders", "2.0.0")["deployable"] is True


def test_deploying_replaces_the_previous_version_and_the_matrix_shows_it(
    shop: TestClient,
) -> None:
    deploy(shop, "orders", "2.0.0")
    deploy(shop, "checkout", "3.1.0", env="staging")
    production = shop.get("/api/v1/environments/production/deployments").json()
    assert [(d["service"], d["version"]) for d in production] == [("orders", "2.0.0")]
    everything = shop.get("/api/v1/deployments").json()
    assert {(d["environment"], d["service"]) for d in everything} == {
        ("production", "orders"), ("staging", "checkout"),
    }  # fmt: skip
    assert deploy(shop, "orders", "2.0.0", action="deployments/end").status_code == 204
    assert shop.get("/api/v1/environments/production/deployments").json() == []
    assert deploy(shop, "orders", "2.0.0", action="deployments/end").status_code == 404
