"""The offline ruleset format is described by a JSON Schema in the OpenAPI document, with an
example the SDK evaluates, and what the server serves matches the description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.flags.ruleset_schema import EXAMPLE, SdkRuleset
from orgloop.sdk import Client
from tests.sdk.server import add_team, flags_app, sdk_key

RULES = [
    {"kind": "force", "id": "nl", "condition": {"country": "NL"}, "value": True},
    {"kind": "force", "id": "ramp", "value": True, "coverage": 0.3},
]


@pytest.fixture
def api(services: Services, admin_token: str) -> Iterator[TestClient]:
    add_team(services, "checkout")
    with TestClient(flags_app(services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        yield client


def test_the_openapi_document_serves_the_schema_with_an_example(api: TestClient) -> None:
    document = api.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"SdkRuleset", "SdkFlag", "SdkRule"} <= set(schemas)
    assert set(schemas["SdkRuleset"]["properties"]) == {
        "environment",
        "version",
        "flags",
        "saved_groups",
    }
    content = document["paths"]["/api/v1/sdk/ruleset"]["get"]["responses"]["200"]["content"]
    body = content["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/SdkRuleset"}
    assert body["example"] == EXAMPLE


def test_the_example_is_a_ruleset_the_sdk_evaluates(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.json"
    path.write_text(json.dumps(EXAMPLE))
    client = Client.from_file(path)
    assert client.is_on("new-checkout", {"id": "u1", "plan": "pro"})
    assert client.get_value("checkout-layout", attributes={"id": "u1"}) in {"classic", "one-page"}
    assert [e["experiment"] for e in client.exposures()] == ["one-page-checkout"]


def test_what_the_server_serves_matches_the_schema(api: TestClient, services: Services) -> None:
    body = {"key": "new-checkout", "type": "boolean", "default_value": False, "owner": "checkout"}
    api.post("/api/v1/flags", json=body).raise_for_status()
    api.put(
        "/api/v1/flags/new-checkout/environments/production",
        json={"enabled": True, "rules": RULES},
    ).raise_for_status()
    headers = {"Authorization": f"Bearer {sdk_key(services, 'production')}"}
    served = api.get("/api/v1/sdk/ruleset", headers=headers).json()
    described = SdkRuleset.model_validate(served)  # extra fields are refused: all are described
    assert described.flags["new-checkout"].rules[1].coverage == 0.3
