"""Fixtures of the experiments tests: an app with the ingest router over a fresh event store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services, build_services
from orgloop.experiments.ingest.api import build_router
from orgloop.experiments.ingest.parsing import IngestLimits
from orgloop.experiments.ingest.store import EventStore
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.http import install_authentication, install_error_handlers
from orgloop.kernel.ids import RandomIds
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings
from orgloop.kernel.tokens import TokenService

SMALL_LIMITS = IngestLimits(max_events=50, max_bytes=64 * 1024)


@pytest.fixture
def event_store(tmp_path: Path) -> Iterator[EventStore]:
    store = EventStore.in_data_dir(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def ingest_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="module")
def kernel_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Tokens and the metadata database, migrated once per module (the slow part)."""
    root = tmp_path_factory.mktemp("kernel")
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'o.db'}")
    services = build_services(settings, clock=FixedClock(), ids=RandomIds())
    yield services
    services.db.engine.dispose()


@pytest.fixture
def ingest_app(
    kernel_services: Services, event_store: EventStore, ingest_clock: FixedClock
) -> Iterator[tuple[TestClient, TokenService]]:
    # The kernel's HTTP edge plus only the ingest routes, on this test's store, clock and limits.
    app = FastAPI()
    install_error_handlers(app)
    install_authentication(app, kernel_services.tokens.authenticate)
    app.include_router(build_router(store=event_store, clock=ingest_clock, limits=SMALL_LIMITS))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, kernel_services.tokens


def token(tokens: TokenService, role: str, **extra: str) -> str:
    created = tokens.create(TokenCreate(role=role, **extra), actor=SYSTEM)
    return created.secret


@pytest.fixture
def ingest(ingest_app: tuple[TestClient, TokenService]) -> TestClient:
    """The client with an SDK key of environment ``production``."""
    client, tokens = ingest_app
    client.headers["Authorization"] = "Bearer " + token(tokens, "sdk", environment="production")
    return client
