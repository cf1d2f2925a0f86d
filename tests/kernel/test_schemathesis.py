"""schemathesis against a live orgloop (real HTTP, uvicorn) on SQLite and PostgreSQL: every
operation of the OpenAPI document, every check that orgloop can promise, a bounded budget.

Zero 5xx and zero schema violations: what the server answers is what its document says.  Two
checks are left out, each for a stated reason (``EXCLUDED``).  The run's figures (operations,
cases, failures) are printed, and kept in ``schemathesis-<database>.json`` beside the test's
temporary files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.catalog.builders import shop_payload
from tests.live import LiveServer

from orgloop.app import Services, create_app

ROOT = Path(__file__).resolve().parents[2]

EXCLUDED = {
    "positive_data_acceptance": (
        "a request the schema allows may still be refused on purpose: it names a team, service "
        "or environment that is not in the catalog, or breaks a rule across fields (since "
        "before until, unique variation keys) or a NUL character; no JSON Schema can say those"
    ),
    "negative_data_rejection": (
        "orgloop takes pydantic's lax conversions on purpose (a Unix time where a date-time is "
        "documented, 0 and 1 for booleans), as its CLI, SDK and scripts send them"
    ),
}
EXAMPLES_PER_OPERATION = 5  # with the coverage phase's boundary cases: ~3,000 cases a database
STREAMS = """
[[operations]]
include-path = "/api/v1/sdk/stream"
max-stream-events = 1
request-timeout = 5
"""
"""The SDK stream never ends by itself: read its first event, do not wait out the timeout."""
SEED = 20261204  # the same cases on every run, so a failure reproduces ("st replay" or the seed)


@pytest.mark.slow
def test_the_api_answers_as_its_openapi_document_says(
    services: Services, admin: TestClient, admin_token: str, tmp_path: Path
) -> None:
    imported = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert imported.status_code == 200, imported.text
    own_token = admin.get("/api/v1/tokens").json()[0]["id"]
    report = tmp_path / f"schemathesis-{services.db.dialect}.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text(STREAMS)
    with LiveServer(create_app(services=services)) as server:
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(config),
                "run",
                f"{server.url}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {admin_token}",
                "--checks",
                "all",
                "--exclude-checks",
                ",".join(EXCLUDED),
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--workers",
                "1",
                "--no-shrink",
                "--request-timeout",
                "30",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            cwd=tmp_path,  # where schemathesis keeps its example database
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.kernel.schemathesis_hooks",
                "ORGLOOP_PROTECTED_TOKEN_ID": own_token,
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=900,
        )
        summary = json.loads(report.read_text()) if report.exists() else {}
        figures = {
            "database": services.db.dialect,
            "operations": summary.get("operations", {}).get("tested"),
            "cases": summary.get("test_cases", {}).get("generated"),
            "failures": {f["code"]: f["count"] for f in summary.get("failures", [])},
        }
        print("schemathesis:", json.dumps(figures))
        assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
        assert figures["operations"] == len(_operations(admin)), figures
        # The run could not revoke the token it used: it still works.
        assert admin.get("/api/v1/tokens").status_code == 200


def _operations(admin: TestClient) -> list[tuple[str, str]]:
    document = admin.get("/api/v1/openapi.json").json()
    return [(m, p) for p, ops in document["paths"].items() for m in ops]
