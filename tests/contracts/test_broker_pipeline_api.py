"""The Pact Broker resources of a CI pipeline over HTTP, with the bodies and query strings the
official ``pact-broker`` client sends (as recorded from it): publish, environments, deployments,
the matrix, and the errors a pipeline sees."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.kernel.db import Base
from tests.contracts.registry_builders import checkout_pact, orders_api
from tests.contracts.test_can_i_deploy_api import ask
from tests.contracts.test_registry_api import api, member, publish

__all__ = ["api"]

BROKER = "/pact-broker"


def publish_body(version: str = "3.1.0", **changes: Any) -> dict[str, Any]:
    content = base64.b64encode(json.dumps(checkout_pact()).encode()).decode()
    contract = {"consumerName": "checkout", "providerName": "orders", "specification": "pact",
                "contentType": "application/json", "content": content, "onConflict": "overwrite"}  # fmt: skip
    body = {"pacticipantName": "checkout", "pacticipantVersionNumber": version, "branch": "main",
            "tags": ["prod"], "contracts": [contract]}  # fmt: skip
    for key, value in changes.items():
        (contract if key in contract else body)[key] = value
    return body


@pytest.fixture
def pipeline(api: TestClient) -> TestClient:
    """orders 1.0.0 has an API document; production exists; checkout 3.1.0 published its pact
    and both run in production."""
    publish(api, "1.0.0", orders_api())
    assert api.post(f"{BROKER}/environments", json={"name": "production"}).status_code == 201
    assert api.post(f"{BROKER}/contracts/publish", json=publish_body()).status_code == 200
    for service, version in (("orders", "1.0.0"), ("checkout", "3.1.0")):
        href = record_link(api, service, version, "pb:record-deployment")
        assert api.post(href, json={}).status_code == 201
    return api


def record_link(client: TestClient, service: str, version: str, relation: str) -> str:
    found = client.get(f"{BROKER}/pacticipants/{service}/versions/{version}").json()
    [link] = [link for link in found["_links"][relation] if link["name"] == "production"]
    return str(link["href"]).removeprefix("http://testserver")


def matrix(client: TestClient, service: str, version: str, **params: str) -> Any:
    query = {"q[][pacticipant]": service, "q[][version]": version, "latestby": "cvpv", **params}
    return client.get(f"{BROKER}/matrix", params=query)


def test_published_pacts_keep_their_branch_and_tags(pipeline: TestClient) -> None:
    version = pipeline.get(f"{BROKER}/pacticipants/checkout/versions/3.1.0").json()
    assert [t["name"] for t in version["_embedded"]["tags"]] == ["prod"]
    assert version["branch"] == "main"
    contracts = pipeline.get("/api/v1/contracts", params={"consumer": "checkout"}).json()
    assert [(c["consumer_version"], c["kind"]) for c in contracts] == [("3.1.0", "pact")]


def test_the_matrix_answers_orgloops_verdict_with_its_reasons(pipeline: TestClient) -> None:
    yes = matrix(pipeline, "checkout", "3.1.0", environment="production").json()
    assert yes["summary"]["deployable"] is ask(pipeline, "checkout", "3.1.0")["deployable"] is True
    [row] = yes["matrix"]
    assert (row["consumer"]["name"], row["provider"]["version"]["number"]) == ("checkout", "1.0.0")
    # orders 2.0.0 drops ``total``, which the running checkout reads: no, naming checkout.
    publish(pipeline, "2.0.0", orders_api(with_total=False, version="2.0.0"))
    no = matrix(pipeline, "orders", "2.0.0", environment="production").json()
    verdict = ask(pipeline, "orders", "2.0.0")
    assert no["summary"]["deployable"] is verdict["deployable"] is False
    reason = verdict["reasons"][0]
    assert no["summary"]["reason"] == f"checkout 3.1.0 (team checkout): {reason['detail']}"
    assert [n["type"] for n in no["notices"]] == ["error", "error"]


def test_an_undeployed_consumer_no_longer_blocks(pipeline: TestClient) -> None:
    publish(pipeline, "2.0.0", orders_api(with_total=False, version="2.0.0"))
    env = pipeline.get(f"{BROKER}/environments").json()["_embedded"]["environments"][0]
    deployed = pipeline.get(
        f"{BROKER}/environments/{env['uuid']}/deployed-versions/currently-deployed",
        params={"pacticipant": "checkout"},
    ).json()["_embedded"]["deployedVersions"]
    href = deployed[0]["_links"]["self"]["href"].removeprefix("http://testserver")
    headers = {"Content-Type": "application/merge-patch+json"}
    ended = pipeline.patch(href, content=b'{"currentlyDeployed": false}', headers=headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["currentlyDeployed"] is False
    answer = matrix(pipeline, "orders", "2.0.0", environment="production").json()
    assert answer["summary"]["deployable"] is True


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"content": "not base64!"}, "contracts[0].content"),
        ({"consumerName": "cart"}, "contracts[0].consumerName"),
        ({"specification": "openapi"}, "contracts[0].specification"),
    ],
)
def test_a_bad_publication_names_the_field_and_records_nothing(
    pipeline: TestClient, changes: dict[str, Any], path: str
) -> None:
    response = pipeline.post(f"{BROKER}/contracts/publish", json=publish_body("3.2.0", **changes))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == path
    assert pipeline.get(f"{BROKER}/pacticipants/checkout/versions/3.2.0").status_code == 404


def test_a_member_publishes_and_deploys_only_its_teams_services(pipeline: TestClient) -> None:
    fulfilment = member(pipeline, "fulfilment")
    refused = pipeline.post(f"{BROKER}/contracts/publish", json=publish_body("3.2.0"),
                            headers=fulfilment)  # fmt: skip
    assert refused.status_code == 403
    assert "owned by team 'group:default/checkout'" in refused.json()["error"]["message"]
    href = record_link(pipeline, "checkout", "3.1.0", "pb:record-deployment")
    assert pipeline.post(href, json={}, headers=fulfilment).status_code == 403


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"environment": "staging"}, "environment"),
        ({"tag": "prod"}, "tag"),
        ({}, "environment"),
    ],
)
def test_an_unknown_or_missing_target_is_named(
    pipeline: TestClient, params: dict[str, str], path: str
) -> None:
    response = matrix(pipeline, "checkout", "3.1.0", **params)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == path


def test_unknown_pacticipants_and_versions_are_404s_naming_them(pipeline: TestClient) -> None:
    missing = pipeline.get(f"{BROKER}/pacticipants/billing/versions/1.0.0")
    assert missing.status_code == 404
    assert "billing" in missing.json()["error"]["message"]
    unknown = pipeline.get(f"{BROKER}/pacticipants/checkout/versions/9.9.9")
    assert unknown.status_code == 404
    assert "9.9.9" in unknown.json()["error"]["message"]


def test_the_migration_matches_the_broker_tables(services: Services) -> None:
    from orgloop.contracts import brokerstore  # noqa: F401 (registers the rows)

    tables = ("contracts_environments", "contracts_versions", "contracts_version_labels",
              "contracts_pacticipants")  # fmt: skip
    with services.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if any(t in repr(d) for t in tables)] == []


def test_a_provider_without_api_documents_is_judged_on_its_verification_results(
    pipeline: TestClient,
) -> None:
    pact = pipeline.get(f"{BROKER}/pacts/provider/orders/consumer/checkout/latest").json()
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    for version, success in (("1.5.0", True), ("1.6.0", False)):
        body = {"success": success, "providerApplicationVersion": version}
        posted = pipeline.post(href.removeprefix("http://testserver"), json=body)
        assert posted.status_code == 201, posted.text
    passed = matrix(pipeline, "orders", "1.5.0", environment="production").json()
    assert passed["summary"]["deployable"] is ask(pipeline, "orders", "1.5.0")["deployable"] is True
    failed = matrix(pipeline, "orders", "1.6.0", environment="production").json()
    assert (
        failed["summary"]["deployable"] is ask(pipeline, "orders", "1.6.0")["deployable"] is False
    )
    assert "against checkout 3.1.0 failed" in failed["summary"]["reason"]
    # A version nothing is known of stays unknown.
    unknown = matrix(pipeline, "orders", "1.7.0", environment="production").json()
    assert unknown["summary"]["deployable"] is None
