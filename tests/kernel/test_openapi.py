"""The committed OpenAPI document is the one the server serves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi-v1.json"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_committed_openapi_document_equals_the_served_one(app_client: TestClient) -> None:
    served = app_client.get("/api/v1/openapi.json").json()
    if os.environ.get("ORGLOOP_UPDATE_OPENAPI") == "1":
        COMMITTED.write_text(json.dumps(served, indent=2, sort_keys=True) + "\n")
    committed = json.loads(COMMITTED.read_text())
    assert served == committed, (
        "docs/openapi-v1.json is out of date: run "
        "'ORGLOOP_UPDATE_OPENAPI=1 .venv/bin/pytest tests/kernel/test_openapi.py' and review the diff"
    )
