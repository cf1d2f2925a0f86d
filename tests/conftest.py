"""Fixtures shared by every slice's tests: databases (SQLite and PostgreSQL), services, the app."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from orgloop.app import Services, build_services, create_app
from orgloop.kernel import db as kernel_db
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.settings import Settings
from tests.conformance import REQUIRED as REQUIRE_CONFORMANCE
from tests.conformance import SUITES, missing_suites
from tests.live import LiveServer


def pytest_configure(config: pytest.Config) -> None:
    """CI sets ORGLOOP_REQUIRE_CONFORMANCE=1: a run without the suites stops before it starts."""
    missing = missing_suites()
    if REQUIRE_CONFORMANCE and missing:
        raise pytest.UsageError(
            f"conformance suites {', '.join(missing)} not found under {SUITES}; they are required "
            "here (ORGLOOP_REQUIRE_CONFORMANCE=1). Set ORGLOOP_CONFORMANCE_DIR to their folder."
        )


POSTGRES_URL = os.environ.get(
    "ORGLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("ORGLOOP_REQUIRE_POSTGRES") == "1"


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"no PostgreSQL reachable at {POSTGRES_URL} ({exc.__class__.__name__}); set ORGLOOP_TEST_POSTGRES_URL"
    return None


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    reason = _postgres_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here (ORGLOOP_REQUIRE_POSTGRES=1) but {reason}")
        pytest.skip(reason)
    name = f"orgloop_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = kernel_db.make_engine(url)
    kernel_db.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        if tables:
            conn.execute(
                sa.text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store and API test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orgloop.db'}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def services(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    built = build_services(
        settings, clock=clock, ids=SequentialIds(), migrate=database_url.startswith("sqlite")
    )
    yield built
    built.close()


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin_token(services: Services) -> str:
    created = services.tokens.bootstrap_admin()
    assert created is not None
    return created.secret


@pytest.fixture
def admin(app_client: TestClient, admin_token: str) -> TestClient:
    """The app client, authenticated as admin."""
    app_client.headers["Authorization"] = f"Bearer {admin_token}"
    return app_client


@pytest.fixture
def live_server(services: Services) -> Iterator[LiveServer]:
    with LiveServer(create_app(services=services)) as server:
        yield server


@pytest.fixture
def cli_env(
    live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> LiveServer:
    """Point the CLI at the live server as admin, with its own config directory."""
    monkeypatch.setenv("ORGLOOP_URL", live_server.url)
    monkeypatch.setenv("ORGLOOP_TOKEN", admin_token)
    monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
    return live_server
