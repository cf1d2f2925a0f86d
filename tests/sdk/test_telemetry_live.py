"""``orgloop.sdk.instrument`` exporting to a real orgloop: spans arrive at ``POST /v1/traces`` and
become a service-graph edge split by version and by the variant the request saw."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import orgloop.sdk
from orgloop.app import Services, build_services, create_app
from orgloop.kernel.settings import Settings
from orgloop.sdk import Client
from tests.live import LiveServer
from tests.sdk.server import sdk_key
from tests.sdk.test_client import RULESET


@pytest.fixture
def live_services(tmp_path: Path) -> Iterator[Services]:
    """The system clock: the SDK stamps spans with the real time, which ingest checks."""
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    built = build_services(settings)
    yield built
    built.close()


def _payments(flags: Client) -> FastAPI:
    app = FastAPI()

    @app.post("/pay")
    def pay(user: str) -> dict[str, Any]:
        return {"variant": flags.get_value("checkout", "control", {"id": user})}

    return app


def _checkout(payments_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/orders/{user}")
    def order(user: str) -> dict[str, Any]:
        reply = httpx.post(f"{payments_url}/pay", params={"user": user}, timeout=10)
        return {"paid": reply.json()}

    return app


def test_spans_from_two_services_become_an_edge_in_orgloop(live_services: Services) -> None:
    key = sdk_key(live_services, "production")
    flags = Client(ruleset=RULESET, environment="production")
    with LiveServer(create_app(services=live_services)) as orgloop_server:
        common = {"url": orgloop_server.url, "sdk_key": key, "environment": "production"}
        payments = orgloop.sdk.instrument(
            service="payments", version="1.3.0", httpx=False, set_global=False, **common
        )
        with LiveServer(payments.wrap(_payments(flags))) as payments_server:
            app = _checkout(payments_server.url)
            checkout = orgloop.sdk.instrument(
                app, service="checkout", version="3.1.0", set_global=False, **common
            )
            try:
                with LiveServer(app) as checkout_server:
                    for n in range(12):  # not through httpx: the caller is not a service here
                        url = f"{checkout_server.url}/orders/user-{n}"
                        with urllib.request.urlopen(url, timeout=10) as answer:
                            assert answer.status == 200
                time.sleep(0.2)  # the last server span ends just after its response
                assert checkout.flush(10_000)
                assert payments.flush(10_000)
            finally:
                checkout.shutdown()
                payments.shutdown()
                flags.close()

    graph = live_services.traces.graph()
    edge = next(e for e in graph.edges if (e.client, e.server) == ("checkout", "payments"))
    assert edge.requests == 12
    assert [s.value for s in edge.by_client_version] == ["3.1.0"]
    assert [s.value for s in edge.by_server_version] == ["1.3.0"]
    assert [s.value for s in edge.by_operation] == ["/pay"]
    variants = {s.value for s in edge.by_variant}
    assert variants <= {"checkout-test=control", "checkout-test=one-page"}
    assert sum(s.requests for s in edge.by_variant) == 12
    unknown = {u.service for u in live_services.traces.unknown_services().items}
    assert unknown == {"checkout", "payments"}
