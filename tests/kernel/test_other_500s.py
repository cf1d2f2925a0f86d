"""Inputs that answered 500 once, each with the class of bug behind it closed: integers beyond
what a database column holds, malformed entity references in filters, empty names, deep event
properties, NUL characters, and a page whose error path could not render (and reset the
keep-alive connection). On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.catalog.builders import shop_payload
from tests.contracts.registry_builders import CHECKOUT_LIGHT
from tests.live import LiveServer

HUGE = "9223372036854775808"  # 2**63: one past PostgreSQL's bigint and SQLite's INTEGER


def _import_shop(admin: TestClient) -> None:
    imported = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert imported.status_code == 200, imported.text


def _integer_parameters(admin: TestClient) -> list[tuple[str, str, str, str]]:
    """Every integer or number parameter of every operation: (method, path, where, name)."""
    document = admin.get("/api/v1/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if _numeric(parameter["schema"]):
                    found.append((method, path, parameter["in"], parameter["name"]))
    return found


def _numeric(schema: dict[str, Any]) -> list[dict[str, Any]]:
    options = [schema, *schema.get("anyOf", [])]
    return [s for s in options if s.get("type") in ("integer", "number")]


def test_every_numeric_parameter_has_an_upper_bound(admin: TestClient) -> None:
    document = admin.get("/api/v1/openapi.json").json()
    unbounded = [
        f"{method.upper()} {path} {where} {name}"
        for method, path, where, name in _integer_parameters(admin)
        for parameter in document["paths"][path][method]["parameters"]
        if parameter["name"] == name
        for schema in _numeric(parameter["schema"])
        if "maximum" not in schema and "exclusiveMaximum" not in schema
    ]
    assert not unbounded, "\n".join(unbounded)


def test_an_integer_beyond_64_bits_is_refused_by_every_operation(admin: TestClient) -> None:
    _import_shop(admin)
    answers = []
    for method, path, where, name in _integer_parameters(admin):
        url = path.replace("{" + name + "}", HUGE) if where == "path" else path
        url = url.replace("{", "").replace("}", "")  # other path parameters: any name
        params = {name: HUGE} if where == "query" else {}
        response = admin.request(method.upper(), url, params=params, json={})
        answers.append((f"{method.upper()} {path} ({name})", response.status_code))
    assert answers, "no operation takes an integer parameter"
    assert [a for a in answers if a[1] >= 500] == []
    assert all(status == 422 for label, status in answers if "offset" in label), answers


@pytest.mark.parametrize("value", ["x:", ":x", "x/", "/x", "group:/", ":"])
@pytest.mark.parametrize("parameter", ["owner", "system"])
def test_a_malformed_entity_reference_in_a_filter_is_a_422_naming_it(
    admin: TestClient, parameter: str, value: str
) -> None:
    for listing in ("/api/v1/services", "/api/v1/systems", "/api/v1/catalog/entities"):
        response = admin.get(listing, params={parameter: value})
        assert response.status_code == 422, f"{listing}: {response.text}"
        error = response.json()["error"]
        assert error["details"]["errors"][0]["path"] == parameter
        assert "[<kind>:][<namespace>/]<name>" in error["message"]


def test_an_empty_name_is_refused_wherever_it_names_something(admin: TestClient) -> None:
    _import_shop(admin)
    contract = {"consumer_version": "1.0.0", "provider": "", "kind": "light"}
    response = admin.post(
        "/api/v1/services/checkout/contracts", json={**contract, "content": CHECKOUT_LIGHT}
    )
    assert response.status_code in (404, 422), response.text  # no service has no name
    for query in ({"provider": ""}, {"provider": "", "environment": "production"}):
        assert admin.get("/api/v1/deprecations", params=query).status_code < 500
    assert admin.get("/api/v1/contracts").json() == []


def _nested(depth: int) -> str:
    return '{"child": ' * depth + '"leaf"' + "}" * depth


@pytest.mark.parametrize("depth", [200, 1_000, 5_000])
def test_deeply_nested_event_properties_are_refused_or_stored_never_500(
    admin: TestClient, depth: int
) -> None:
    event = (
        f'{{"id": "deep-{depth}", "type": "track", "unit": "u1", "event": "purchase", '
        f'"timestamp": "2025-12-31T13:00:00Z", "properties": {_nested(depth)}}}'
    )
    body = f'{{"events": [{event}]}}'.encode()
    response = admin.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.text
    if depth >= 1_000:
        assert response.status_code in (400, 422) or response.json()["rejected"], response.text
    assert admin.get("/api/v1/health").status_code == 200


def test_nul_is_refused_in_yaml_documents_and_forms(admin: TestClient) -> None:
    _import_shop(admin)
    # YAML's "\\0" escape is a NUL once parsed, though the JSON around it holds none.
    document = 'openapi: 3.0.3\ninfo: {title: "a\\0b", version: 1.0.0}\npaths: {}\n'
    body = {"version": "1.0.0", "document": document}
    response = admin.post("/api/v1/services/orders/api-versions", json=body)
    assert response.status_code in (201, 422), response.text
    assert response.status_code == 201 or "NUL" in response.json()["error"]["message"]
    assert admin.get("/api/v1/services/orders/api-versions").status_code == 200
    form = admin.post(
        "/login", data={"token": "olp_x\x00"}, headers={"Origin": str(admin.base_url)}
    )
    assert form.status_code < 500


def test_dashboard_can_i_deploy_with_a_version_that_is_not_semver(
    admin: TestClient, admin_token: str, live_server: LiveServer
) -> None:
    _import_shop(admin)
    query = {"service": "orders", "version": "notsemver", "environment": "production"}
    with httpx.Client(base_url=live_server.url, cookies={"orgloop_token": admin_token}) as client:
        page = client.get("/contracts/can-i-deploy", params=query)
        assert page.status_code == 200, page.text
        assert "UNKNOWN" in page.text
        assert "notsemver" in page.text
        # The same keep-alive connection still answers.
        assert client.get("/api/v1/health").status_code == 200


def test_an_unexpected_error_keeps_the_connection_open(
    admin_token: str, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgloop.contracts.service import ContractService

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(ContractService, "deployments", broken)
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=live_server.url, headers=headers) as client:
        assert client.get("/api/v1/deployments").status_code == 500
        assert client.get("/api/v1/health").status_code == 200


def test_a_name_longer_than_its_column_is_a_422_on_every_database(admin: TestClient) -> None:
    response = admin.post("/pact-broker/environments", json={"name": "e" * 150})
    assert response.status_code == 422, response.text
    assert admin.get("/pact-broker/environments").status_code == 200
