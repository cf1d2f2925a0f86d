"""The OpenAPI document tells the truth: each operation lists the error statuses it can answer,
in the one error shape; a 405 names every method of its path; times carry their zone on SQLite
as on PostgreSQL; the SDK ruleset has a real schema."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

WRITES = {"post", "put", "patch", "delete"}


def _document(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return document


def test_every_operation_documents_the_errors_it_can_answer(admin: TestClient) -> None:
    document = _document(admin)
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            needed = {"422"}
            if operation.get("security") or path.startswith(("/api/v1/", "/pact-broker")):
                needed |= {"401", "403"} if path not in ("/api/v1/health",) else set()
            if method in WRITES:
                needed |= {"400", "409", "413"}
            if any(p["name"].lower() == "if-match" for p in operation.get("parameters", [])):
                needed.add("412")
            if "{" in path:
                needed.add("404")
            if needed - statuses:
                missing.append(f"{method.upper()} {path}: {sorted(needed - statuses)}")
    assert not missing, "\n".join(missing)


def test_documented_errors_have_the_error_shape(admin: TestClient) -> None:
    document = _document(admin)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    listing = document["paths"]["/api/v1/flags"]["get"]["responses"]
    # Each error response is stated once, under components/responses, and referred to.
    assert listing["422"] == {"$ref": "#/components/responses/Unprocessable"}
    shared = document["components"]["responses"]["Unprocessable"]
    schema = shared["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Error"}
    refused = admin.get("/api/v1/flags", params={"limit": 0})
    assert refused.status_code == 422
    assert set(refused.json()["error"]) == {"code", "message", "details"}


def test_a_405_names_every_method_of_the_path(admin: TestClient) -> None:
    response = admin.request("OPTIONS", "/api/v1/flags/some-flag")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_times_carry_their_zone_on_every_database(admin: TestClient) -> None:
    admin.post("/api/v1/tokens", json={"role": "viewer", "name": "zoned"})
    times = [t["created_at"] for t in admin.get("/api/v1/tokens").json()]
    times += [e["at"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert times
    for value in times:
        assert datetime.fromisoformat(value).utcoffset() is not None, value
        assert re.search(r"(Z|[+-]\d\d:\d\d)$", value), value


def test_the_sdk_ruleset_has_a_schema(admin: TestClient) -> None:
    document = _document(admin)
    content = document["paths"]["/api/v1/sdk/ruleset"]["get"]["responses"]["200"]["content"]
    reference = content["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"environment", "flags"} <= set(schema["properties"])
