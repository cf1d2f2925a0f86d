"""Consumer version selectors by branch and tag, over the branches and tags pipelines record
through the Pact Broker API (``publish --branch``, ``create-version-tag``...)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.registry_builders import checkout_pact
from tests.contracts.test_broker_api import for_verification
from tests.contracts.test_can_i_deploy_api import contract
from tests.contracts.test_registry_api import api

__all__ = ["api"]


@pytest.fixture
def lines(api: TestClient) -> TestClient:
    """checkout 3.0.0 on main, tagged prod; 3.1.0 on feat, with another pact content."""
    contract(api, "pact", checkout_pact(), version="3.0.0")
    contract(api, "pact", checkout_pact(spec="2.0.0"), version="3.1.0")
    base = "/pact-broker/pacticipants/checkout"
    for path in ("branches/main/versions/3.0.0", "versions/3.0.0/tags/prod",
                 "branches/feat/versions/3.1.0"):  # fmt: skip
        assert api.put(f"{base}/{path}", json={}).status_code in (200, 201)
    return api


def chosen(client: TestClient, selector: dict[str, Any], **body: Any) -> list[str]:
    payload = {"consumerVersionSelectors": [selector], **body}
    response = client.post("/pact-broker/pacts/provider/orders/for-verification", json=payload)
    assert response.status_code == 200, response.text
    return [p["_links"]["self"]["name"] for p in response.json()["_embedded"]["pacts"]]


@pytest.mark.parametrize(
    ("selector", "version"),
    [
        ({"branch": "main"}, "3.0.0"),
        ({"branch": "feat"}, "3.1.0"),
        ({"branch": "gone", "fallbackBranch": "main"}, "3.0.0"),
        ({"tag": "prod", "latest": True}, "3.0.0"),
        ({"tag": "gone", "fallbackTag": "prod"}, "3.0.0"),
        ({"mainBranch": True}, "3.1.0"),
    ],
)
def test_a_selector_chooses_the_pact_of_its_line(
    lines: TestClient, selector: dict[str, Any], version: str
) -> None:
    assert chosen(lines, selector) == [f"Pact between checkout ({version}) and orders"]


def test_the_main_branch_is_the_pacticipants_and_matching_branch_the_providers(
    lines: TestClient,
) -> None:
    patched = lines.patch("/pact-broker/pacticipants/checkout", json={"mainBranch": "main"})
    assert patched.status_code == 200, patched.text
    assert chosen(lines, {"mainBranch": True}) == ["Pact between checkout (3.0.0) and orders"]
    assert chosen(lines, {"matchingBranch": True}, providerVersionBranch="feat") == [
        "Pact between checkout (3.1.0) and orders"
    ]
    assert chosen(lines, {"branch": "nowhere"}) == []


def test_matching_branch_without_the_providers_branch_is_refused_with_the_field(
    lines: TestClient,
) -> None:
    response = for_verification(lines, {"latest": True}, {"matchingBranch": True})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["errors"][0]["path"] == "consumerVersionSelectors[1].matchingBranch"
