"""Fixtures of the dashboard's tests: the app with the web pages over the demo shop, with its
contracts, flags and experiments (``tests/web/builders.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services, build_services, create_app
from orgloop.catalog.models import DescriptorIn, ImportRequest
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.settings import Settings
from orgloop.web.session import COOKIE
from tests.catalog.builders import shop_payload
from tests.web.builders import START, populate


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: pages read through CatalogService, whose store tests cover PostgreSQL."""
    return f"sqlite:///{tmp_path / 'orgloop.db'}"


def web_app(services: Services) -> FastAPI:
    """The server as ``app.py`` builds it, dashboard and static files included."""
    return create_app(services=services)


def import_shop(services: Services) -> None:
    entities = [DescriptorIn.model_validate(e) for e in shop_payload()]
    services.catalog.import_catalog(ImportRequest(entities=entities), actor=SYSTEM)


@dataclass(frozen=True)
class Site:
    """The demo shop behind the dashboard, built once: the pages only read it."""

    services: Services
    app: FastAPI
    admin_token: str


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'orgloop.db'}")
    clock = FixedClock(START)
    services = build_services(settings, clock=clock, ids=SequentialIds())
    import_shop(services)
    created = services.tokens.bootstrap_admin()
    assert created is not None
    app = web_app(services)
    populate(services, app, clock)
    yield Site(services, app, created.secret)
    services.close()


@pytest.fixture
def anonymous(site: Site) -> Iterator[TestClient]:
    """A browser that has not logged in (redirects are not followed, to see them)."""
    with TestClient(site.app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def browser(anonymous: TestClient, site: Site) -> TestClient:
    """A browser logged in through the form, holding the cookie it sets."""
    response = anonymous.post("/login", data={"token": site.admin_token})
    assert response.cookies.get(COOKIE) == site.admin_token
    return anonymous
