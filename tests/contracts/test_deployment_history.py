"""The history of deployments: every deployment recorded, replaced or current, over HTTP, the
CLI and the Pact Broker API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from orgloop.app import Services
from orgloop.contracts import cli as contracts_cli
from orgloop.kernel import db as kernel_db
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.db import Base
from tests.contracts.registry_builders import contracts_app, orders_api
from tests.contracts.test_broker_pipeline_api import BROKER, publish_body, record_link
from tests.contracts.test_can_i_deploy_api import deploy
from tests.contracts.test_registry_api import api, publish
from tests.live import LiveServer

__all__ = ["api"]

_root = typer.Typer()
_root.add_typer(contracts_cli.deployments_app, name="deployments")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_root, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def history(client: TestClient, **params: Any) -> Any:
    response = client.get("/api/v1/deployments/history", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def deployed(api: TestClient, clock: FixedClock) -> TestClient:
    """orders 1.0.0 then 1.1.0 in production (a day apart), 1.0.0 in staging, then 1.1.0
    undeployed from production: four deployments recorded, one still running."""
    for version, env in (("1.0.0", "production"), ("1.1.0", "production"), ("1.0.0", "staging")):
        assert deploy(api, "orders", version, env).status_code == 201
        clock.advance(days=1)
    assert deploy(api, "orders", "1.1.0", action="deployments/end").status_code == 204
    return api


def test_a_replaced_deployment_stays_in_the_history_with_its_end(
    deployed: TestClient, clock: FixedClock
) -> None:
    found = history(deployed)
    assert found["total"] == 3
    rows = [(r["environment"], r["version"], r["current"]) for r in found["items"]]
    assert rows == [("production", "1.0.0", False), ("production", "1.1.0", False),
                    ("staging", "1.0.0", True)]  # fmt: skip
    first, second, third = found["items"]
    assert first["ended_at"] == second["started_at"]  # replaced when 1.1.0 was recorded
    assert second["ended_at"] is not None
    assert third["ended_at"] is None
    assert first["team"] == "fulfilment"
    assert "admin" in first["recorded_by"]
    # What runs now is unchanged: only staging's 1.0.0.
    current = deployed.get("/api/v1/deployments").json()
    assert [(d["environment"], d["version"]) for d in current] == [("staging", "1.0.0")]


def test_history_filters_by_window_service_and_environment_and_pages(
    deployed: TestClient, clock: FixedClock
) -> None:
    noon_of_the_first_day = clock.now() - timedelta(days=2, hours=12)
    assert history(deployed, environment="production")["total"] == 2
    assert history(deployed, service="checkout")["total"] == 0
    naive = noon_of_the_first_day.astimezone(UTC).replace(tzinfo=None).isoformat()
    later = history(deployed, since=naive)
    assert [r["version"] for r in later["items"]] == ["1.1.0", "1.0.0"]  # no zone: UTC
    page = history(deployed, limit=1, offset=1)
    assert (page["total"], len(page["items"]), page["items"][0]["version"]) == (3, 1, "1.1.0")


def test_an_empty_or_malformed_window_is_a_clear_error(deployed: TestClient) -> None:
    empty = deployed.get(
        "/api/v1/deployments/history",
        params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    assert empty.status_code == 422
    assert "since" in empty.json()["error"]["message"]
    malformed = deployed.get("/api/v1/deployments/history", params={"since": "yesterday"})
    assert malformed.status_code == 422
    assert "since" in malformed.text


def test_a_deployment_recorded_through_the_pact_broker_api_lands_in_the_history(
    api: TestClient,
) -> None:
    publish(api, "1.0.0", orders_api())
    assert api.post(f"{BROKER}/environments", json={"name": "production"}).status_code == 201
    assert api.post(f"{BROKER}/contracts/publish", json=publish_body()).status_code == 200
    href = record_link(api, "checkout", "3.1.0", "pb:record-deployment")
    assert api.post(href, json={}).status_code == 201
    [row] = history(api, service="checkout")["items"]
    assert (row["environment"], row["version"], row["current"]) == ("production", "3.1.0", True)


def test_the_migration_matches_the_history_column(services: Services) -> None:
    with services.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "recorded_by" in repr(d)] == []


@pytest.fixture
def server(services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    secret = services.tokens.bootstrap_admin()
    assert secret is not None
    with LiveServer(contracts_app(services)) as live:
        monkeypatch.setenv("ORGLOOP_URL", live.url)
        monkeypatch.setenv("ORGLOOP_TOKEN", secret.secret)
        monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
        yield secret.secret


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_lists_the_history_as_json_and_a_table(
    server: str, services: Services, clock: FixedClock
) -> None:
    from orgloop.catalog.models import ImportRequest
    from orgloop.kernel.auth import SYSTEM
    from tests.catalog.builders import shop_payload

    services.catalog.import_catalog(
        ImportRequest.model_validate({"entities": shop_payload()}), actor=SYSTEM
    )
    for version in ("1.0.0", "1.1.0"):
        code, out = run("deployments", "record", "orders", "--version", version, "--env", "prod")
        assert code == 0, out
        clock.advance(hours=1)
    code, out = run("deployments", "history", "--service", "orders", "--env", "prod", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["version"], r["current"]) for r in rows] == [("1.0.0", False), ("1.1.0", True)]
    code, table = run("deployments", "history", "--since", "2999-01-01")
    assert code == 0
    assert "1.0.0" not in table
    code, bad = run("deployments", "history", "--since", "soon")
    assert code != 0
    assert "since" in bad


def test_the_migration_keeps_earlier_deployments_and_names_who_recorded_them(
    tmp_path: Path,
) -> None:
    """Deployments recorded before ``contracts_0004`` stay in the history; ``recorded_by`` comes
    from the audit log where an entry names the row, else stays empty. On a SQLite file of its
    own: the shared fixtures' databases are always at the head."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migration.db'}")
    config = kernel_db.alembic_config(engine)
    kernel_db.upgrade(engine)
    command.downgrade(config, "contracts_0003")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO contracts_deployments (service, environment, version, kind, active, "
                "started_at) VALUES ('orders', 'production', '1.0.0', 'deployment', false, "
                "'2026-01-01 00:00:00'), ('orders', 'production', '1.1.0', 'deployment', true, "
                "'2026-01-02 00:00:00'), ('cart', 'production', '1.0.0', 'deployment', true, "
                "'2026-01-02 00:00:00')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, resource_kind, resource_id, after) "
                "VALUES ('2026-01-02', 'ci (member, fulfilment)', 'contracts.deployment.deploy', "
                "'deployment', 'orders@production', :after)"
            ),
            {"after": json.dumps({"version": "1.1.0"})},
        )
    kernel_db.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT service, version, recorded_by FROM contracts_deployments ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("orders", "1.0.0", None),
        ("orders", "1.1.0", "ci (member, fulfilment)"),
        ("cart", "1.0.0", None),
    ]
