"""Observed consumers: spans say who calls a provider; can-i-deploy warns about callers without a
consumer contract, and answers no when asked to (``observed_consumers=block``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from orgloop.app import Services
from tests.contracts.registry_builders import CHECKOUT_LIGHT, orders_api
from tests.contracts.test_can_i_deploy_api import contract, deploy
from tests.contracts.test_contracts_cli import root
from tests.contracts.test_registry_api import api, publish
from tests.live import LiveServer
from tests.traces.builders import BASE, SERVER, SpanSpec, call, export, new_trace_id

__all__ = ["api"]

SHIP_ROUTE = "/orders/{id}/shipment"


def spans(services: Services) -> None:
    """checkout 3.1.0 (with a contract) and shipping 2.4.0 (without) call orders 1.0.0; a user's
    request straight to orders is no consumer."""
    at = BASE - timedelta(minutes=10)
    specs = [
        *call("checkout", "orders", at=at, client_version="3.1.0", server_version="1.0.0"),
        *call("shipping", "orders", at=at, client_version="2.4.0", server_version="1.0.0"),
        *call("shipping", "orders", at=at, client_version="2.4.0", server_version="1.0.0"),
        *call(
            "shipping", "orders", at=at, route=SHIP_ROUTE, client_version="2.4.0",
            server_version="1.0.0",
        ),
        SpanSpec("orders", SERVER, new_trace_id(), start_ns=int(at.timestamp() * 1e9)),
    ]  # fmt: skip
    _, stored = services.traces.ingest(export(*specs))
    stored.result(timeout=30)


@pytest.fixture
def provider(api: TestClient, services: Services) -> TestClient:
    """orders 1.0.0 in production; checkout 3.1.0 has a light contract with it; traffic seen."""
    assert publish(api, "1.0.0", orders_api()).status_code == 201
    assert deploy(api, "orders", "1.0.0").status_code == 201
    contract(api, "light", CHECKOUT_LIGHT)
    spans(services)
    return api


def ask(client: TestClient, **extra: str) -> Any:
    params = {"service": "orders", "version": "1.0.0", "environment": "production", **extra}
    response = client.get("/api/v1/can-i-deploy", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_observed_consumers_are_split_by_version_and_operation(provider: TestClient) -> None:
    response = provider.get("/api/v1/services/orders/consumers/observed")
    assert response.status_code == 200, response.text
    body = response.json()
    calls = {
        (c["consumer"], c["consumer_version"], c["operation"], c["provider_version"]): c["calls"]
        for c in body["calls"]
    }
    assert calls == {
        ("checkout", "3.1.0", "/orders/{id}", "1.0.0"): 1.0,
        ("shipping", "2.4.0", "/orders/{id}", "1.0.0"): 2.0,
        ("shipping", "2.4.0", SHIP_ROUTE, "1.0.0"): 1.0,
    }
    assert body["without_contract"] == ["shipping"]
    later = provider.get(
        "/api/v1/services/orders/consumers/observed", params={"since": BASE.isoformat()}
    )
    assert later.json()["calls"] == []


def test_can_i_deploy_warns_about_a_consumer_without_a_contract(provider: TestClient) -> None:
    verdict = ask(provider)
    assert verdict["deployable"] is True
    assert verdict["reasons"] == []
    [warning] = verdict["warnings"]
    assert warning["kind"] == "observed_without_contract"
    assert (warning["consumer"], warning["consumer_version"]) == ("shipping", "2.4.0")
    assert warning["operations"] == ["/orders/{id}", SHIP_ROUTE]
    assert warning["team"] == "fulfilment"
    assert "shipping 2.4.0" in warning["detail"]
    assert SHIP_ROUTE in warning["detail"]
    assert ask(provider, observed_consumers="ignore")["warnings"] == []


def test_the_block_policy_turns_the_warning_into_a_no(provider: TestClient) -> None:
    verdict = ask(provider, observed_consumers="block")
    assert verdict["deployable"] is False
    [reason] = verdict["reasons"]
    assert (reason["kind"], reason["service"], reason["version"]) == (
        "observed_without_contract", "shipping", "2.4.0",
    )  # fmt: skip
    assert len(verdict["warnings"]) == 1


def test_an_unknown_policy_is_a_clear_error(provider: TestClient) -> None:
    response = provider.get(
        "/api/v1/can-i-deploy",
        params={"service": "orders", "version": "1.0.0", "environment": "production",
                "observed_consumers": "maybe"},
    )  # fmt: skip
    assert response.status_code == 400 or response.status_code == 422
    assert "observed_consumers" in response.text


def test_without_traffic_there_is_nothing_to_warn_about(api: TestClient) -> None:
    assert publish(api, "1.0.0", orders_api()).status_code == 201
    assert deploy(api, "orders", "1.0.0").status_code == 201
    assert ask(api)["warnings"] == []
    assert ask(api, observed_consumers="block")["deployable"] is True


@pytest.fixture
def cli(
    provider: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    token = provider.headers["Authorization"].removeprefix("Bearer ")
    with LiveServer(provider.app) as live:
        monkeypatch.setenv("ORGLOOP_URL", live.url)
        monkeypatch.setenv("ORGLOOP_TOKEN", token)
        monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
        yield


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(root, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.usefixtures("cli")
def test_the_cli_shows_the_warning_and_blocks_when_asked() -> None:
    code, text = run("can-i-deploy", "orders", "-v", "1.0.0", "--to", "production")
    assert code == 0, text
    assert "warning" in text
    assert "shipping 2.4.0" in text
    assert SHIP_ROUTE in text
    code, text = run(
        "can-i-deploy", "orders", "-v", "1.0.0", "--to", "production",
        "--observed-consumers", "block",
    )  # fmt: skip
    assert code == 1, text
    assert "observed_without_contract" in text
    code, text = run("contracts", "consumers", "orders", "--observed")
    assert code == 0, text
    assert "shipping" in text
    assert SHIP_ROUTE in text
    code, text = run("contracts", "consumers", "orders")
    assert code == 0
    assert "checkout" in text
    assert "shipping" not in text


def test_only_traffic_of_the_environment_asked_about_warns(
    api: TestClient, services: Services
) -> None:
    """A caller seen in staging is no reason to warn about production, and is one for staging;
    spans that name no environment count everywhere (the tests above)."""
    assert publish(api, "1.0.0", orders_api()).status_code == 201
    for environment in ("production", "staging"):
        assert deploy(api, "orders", "1.0.0", environment).status_code == 201
    at = BASE - timedelta(minutes=10)
    seen = call("shipping", "orders", at=at, client_version="2.4.0", server_version="1.0.0")
    _, stored = services.traces.ingest(
        export(*seen, resource={"deployment.environment.name": "staging"})
    )
    stored.result(timeout=30)
    assert ask(api)["warnings"] == []
    [warning] = ask(api, environment="staging")["warnings"]
    assert (warning["consumer"], warning["consumer_version"]) == ("shipping", "2.4.0")
