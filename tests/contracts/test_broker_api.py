"""The Pact Broker subset over HTTP, with the request bodies a verifier sends (from the Pact
Broker API documentation): links, pacts for verification, publishing results."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.registry_builders import checkout_pact, orders_api
from tests.contracts.test_can_i_deploy_api import ask, contract, deploy
from tests.contracts.test_registry_api import api, member, publish

__all__ = ["api"]

RESULT = {
    "success": True,
    "providerApplicationVersion": "1.0.0",
    "testResults": [{"interactionId": "an order", "success": True}],
    "verifiedBy": {"implementation": "Pact-Rust", "version": "1.2.0"},
}


@pytest.fixture
def shop(api: TestClient) -> TestClient:
    """checkout 3.0.0 (deployed to production) and 3.1.0 (newest) publish the same pact."""
    publish(api, "1.0.0", orders_api())
    contract(api, "pact", checkout_pact(), version="3.0.0")
    contract(api, "pact", checkout_pact(), version="3.1.0")
    assert deploy(api, "checkout", "3.0.0").status_code == 201
    return api


def for_verification(client: TestClient, *selectors: dict[str, Any]) -> Any:
    body = {"consumerVersionSelectors": list(selectors), "includePendingStatus": False}
    return client.post("/pact-broker/pacts/provider/orders/for-verification", json=body)


def test_the_index_links_to_the_provider_pacts(shop: TestClient) -> None:
    links = shop.get("/pact-broker").json()["_links"]
    assert links["pb:provider-pacts-for-verification"]["templated"] is True
    assert links["pb:provider-pacts-for-verification"]["href"].endswith(
        "/pact-broker/pacts/provider/{provider}/for-verification"
    )


def test_a_fetched_pact_is_the_published_pact_with_a_link_to_publish_results(
    shop: TestClient,
) -> None:
    fetched = shop.get("/pact-broker/pacts/provider/orders/consumer/checkout/version/3.1.0").json()
    assert fetched["interactions"] == checkout_pact()["interactions"]
    digest = shop.get("/api/v1/contracts", params={"consumer": "checkout"}).json()[0]["digest"]
    href = fetched["_links"]["pb:publish-verification-results"]["href"]
    assert href.endswith(f"/consumer/checkout/pact-version/{digest}/verification-results")
    latest = shop.get("/pact-broker/pacts/provider/orders/consumer/checkout/latest").json()
    assert latest["_links"]["pb:publish-verification-results"]["href"] == href


@pytest.mark.parametrize(
    "selectors",
    [
        pytest.param([], id="default"),
        pytest.param([{"latest": True}], id="latest"),
        pytest.param([{"deployedOrReleased": True}], id="deployed-or-released"),
        pytest.param([{"environment": "production"}], id="environment"),
        pytest.param([{"mainBranch": True}, {"deployed": True}], id="main-branch-and-deployed"),
    ],
)
def test_one_pact_content_is_offered_once_whatever_selects_it(
    shop: TestClient, selectors: list[dict[str, Any]]
) -> None:
    response = for_verification(shop, *selectors)
    assert response.status_code == 200, response.text
    [entry] = response.json()["_embedded"]["pacts"]
    assert entry["verificationProperties"]["pending"] is False
    assert "/consumer/checkout/pact-version/" in entry["_links"]["self"]["href"]


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param({"environment": "staging"}, id="other-environment"),
        pytest.param({"released": True}, id="released"),
        pytest.param({"latest": True, "consumer": "billing"}, id="other-consumer"),
    ],
)
def test_selectors_that_match_no_version_offer_no_pact(
    shop: TestClient, selector: dict[str, Any]
) -> None:
    assert for_verification(shop, selector).json()["_embedded"]["pacts"] == []


def publish_result(client: TestClient, body: dict[str, Any], **kwargs: Any) -> Any:
    fetched = client.get("/pact-broker/pacts/provider/orders/consumer/checkout/latest").json()
    href = fetched["_links"]["pb:publish-verification-results"]["href"]
    return client.post(href.removeprefix("http://testserver"), json=body, **kwargs)


def test_a_result_counts_for_every_consumer_version_that_published_the_pact(
    shop: TestClient,
) -> None:
    failed = {**RESULT, "success": False}
    response = publish_result(shop, failed, headers=member(shop, "fulfilment"))
    assert response.status_code == 201, response.text
    assert response.json()["consumerVersions"] == ["3.0.0", "3.1.0"]
    verdict = ask(shop, "orders", "1.0.0")
    assert verdict["deployable"] is False
    assert verdict["reasons"][0]["kind"] == "consumer_verification_failed"
    assert verdict["reasons"][0]["version"] == "3.0.0"


def test_only_the_provider_team_publishes_results(shop: TestClient) -> None:
    response = publish_result(shop, RESULT, headers=member(shop, "checkout"))
    assert response.status_code == 403
    assert publish_result(shop, RESULT, headers={"Authorization": ""}).status_code == 401


def test_a_result_for_unknown_pact_content_is_not_found(shop: TestClient) -> None:
    url = "/pact-broker/pacts/provider/orders/consumer/checkout/pact-version/abc/verification-results"  # fmt: skip
    assert shop.post(url, json=RESULT).status_code == 404
