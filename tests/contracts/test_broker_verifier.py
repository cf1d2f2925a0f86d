"""A real Pact provider verifier (pact-python's, on the Pact FFI) uses orgloop as its broker:
it fetches the checkout pact, replays it against a running orders app and publishes its result,
which can-i-deploy then uses."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.contracts.registry_builders import checkout_pact, orders_api
from tests.contracts.test_can_i_deploy_api import ask, contract, deploy
from tests.contracts.test_registry_api import api, member, publish
from tests.live import LiveServer

__all__ = ["api"]

pact = pytest.importorskip("pact", reason="pact-python (the Pact FFI verifier) is not installed")


def orders_app(*, with_total: bool) -> FastAPI:
    """The orders provider as it really runs; the broken build forgets ``total``."""
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, Any]:
        order: dict[str, Any] = {"id": order_id, "status": "paid"}
        if with_total:
            order["total"] = 12.5
        return order

    return app


@pytest.fixture
def broker(services: Services, api: TestClient) -> Iterator[tuple[str, str]]:
    """orgloop as the broker (URL and an orders-team member token): orders 1.0.0 runs in
    production, checkout 3.1.0's pact on orders is published and deployed there."""
    publish(api, "1.0.0", orders_api())
    publish(api, "1.1.0", orders_api(version="1.1.0"))
    assert deploy(api, "orders", "1.0.0").status_code == 201
    contract(api, "pact", checkout_pact())
    assert deploy(api, "checkout", "3.1.0").status_code == 201
    token = member(api, "fulfilment")["Authorization"].removeprefix("Bearer ")
    with LiveServer(api.app) as server:
        yield f"{server.url}/pact-broker", token


def verify(broker: tuple[str, str], *, with_total: bool, version: str) -> Any:
    url, token = broker
    with LiveServer(orders_app(with_total=with_total)) as provider:
        verifier = (
            pact.Verifier("orders", host="127.0.0.1")
            .add_transport(url=provider.url)
            .broker_source(url, token=token, selector=True, use_env=False)
            .consumer_version(deployed_or_released=True)
            .build()
            .set_publish_options(version=version)
        )
        # A failed verification raises; its result is published all the same.
        with contextlib.suppress(RuntimeError):
            verifier.verify()
        return verifier.results


def recorded(api: TestClient) -> list[dict[str, Any]]:
    """The verification results orgloop recorded, oldest first (read from the audit log)."""
    params = {"action": "contracts.verification.record"}
    entries = api.get("/api/v1/audit", params=params).json()["items"]
    return [e["after"] for e in reversed(entries)]


def test_a_passing_verification_is_published_and_lets_the_provider_deploy(
    broker: tuple[str, str], api: TestClient
) -> None:
    results = verify(broker, with_total=True, version="1.1.0")
    assert results["result"] is True, results
    [result] = recorded(api)
    assert (result["provider_version"], result["consumer_version"]) == ("1.1.0", "3.1.0")
    assert result["success"] is True
    assert result["results"]["verifiedBy"]["implementation"] == "Pact-Rust"
    verdict = ask(api, "orders", "1.1.0")
    assert verdict["deployable"] is True
    assert ask(api, "checkout", "3.1.0")["deployable"] is True


def test_a_failing_provider_publishes_failure_and_can_i_deploy_says_why(
    broker: tuple[str, str], api: TestClient
) -> None:
    results = verify(broker, with_total=False, version="1.1.0")
    assert results["result"] is False
    [result] = recorded(api)
    assert result["success"] is False
    assert "total" in str(result["results"]["testResults"])
    # Its document still declares ``total``: only the recorded result can say no.
    verdict = ask(api, "orders", "1.1.0")
    assert verdict["deployable"] is False
    reason = verdict["reasons"][0]
    assert (reason["kind"], reason["service"], reason["version"]) == (
        "consumer_verification_failed",
        "checkout",
        "3.1.0",
    )
    assert "verification of orders 1.1.0 against checkout 3.1.0 failed" in reason["detail"]
