"""The one error shape, pinned; and the closed set of codes, each documented."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from orgloop.kernel.errors import ERROR_CODES, InvalidInput, NotFound, OrgloopError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_every_error_code_has_a_documented_heading_and_no_more() -> None:
    headings = set(re.findall(r"^## (\w+)$", DOCS.read_text(), flags=re.MULTILINE))
    assert headings == set(ERROR_CODES)


def test_the_wire_shape_is_pinned() -> None:
    err = InvalidInput.at("spec.owner", "is required")
    assert err.to_dict() == {
        "error": {
            "code": "invalid_input",
            "message": "spec.owner: is required",
            "details": {"errors": [{"path": "spec.owner", "message": "is required"}]},
        }
    }


def test_clients_rebuild_the_same_exception_from_the_shape() -> None:
    rebuilt = OrgloopError.from_dict(
        NotFound("no such team", details={"ref": "x"}).to_dict(), status=404
    )
    assert isinstance(rebuilt, NotFound)
    assert (rebuilt.code, rebuilt.message, rebuilt.details) == (
        "not_found",
        "no such team",
        {"ref": "x"},
    )


def test_unknown_routes_and_bad_json_use_the_shape(admin: TestClient) -> None:
    missing = admin.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    broken = admin.post(
        "/api/v1/tokens", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "bad_request"
    assert "not valid JSON at character 1" in broken.json()["error"]["message"]


def test_oversized_bodies_get_413_before_being_read(admin: TestClient) -> None:
    response = admin.post(
        "/api/v1/catalog/import",
        content=b"x" * (17 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
