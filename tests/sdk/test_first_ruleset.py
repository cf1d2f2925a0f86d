"""Right after ``Client(...)``: flags answer from the server's ruleset, an unreachable server costs
at most ``init_timeout``, and an offline client's exposures can be read back."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx

from orgloop.app import Services
from orgloop.sdk import Client
from tests.live import LiveServer
from tests.sdk.server import add_team, flags_app, sdk_key
from tests.sdk.test_client import RULESET


def test_is_on_is_right_immediately_after_construction(
    services: Services, admin_token: str
) -> None:
    add_team(services, "checkout")
    with LiveServer(flags_app(services)) as server:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}
        ) as admin:
            admin.post(
                "/api/v1/flags",
                json={"key": "new-checkout", "type": "boolean", "owner": "checkout",
                      "default_value": False,
                      "environments": {"production": {"enabled": True, "rules": [
                          {"kind": "force", "value": True}]}}},
            ).raise_for_status()  # fmt: skip
        key = sdk_key(services, "production")
        started = time.monotonic()
        client = Client(url=server.url, sdk_key=key)
        waited = time.monotonic() - started
        try:
            assert waited < 1.9  # returned on the ruleset, not at the 2 s limit
            assert client.is_on("new-checkout", {"id": "u1"})  # no wait_until_ready needed
        finally:
            client.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens once the socket is closed


def test_an_unreachable_server_costs_at_most_the_init_timeout() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    client = Client(url=url, sdk_key="sdk-nothing", init_timeout=0.5, timeout=0.2)
    elapsed = time.monotonic() - started
    try:
        assert 0.4 <= elapsed < 1.5
        assert not client.ready.is_set()
        assert client.get_value("anything", "fallback") == "fallback"
    finally:
        client.close()
    started = time.monotonic()
    Client(url=url, sdk_key="sdk-nothing", init_timeout=0, timeout=0.2).close()
    assert time.monotonic() - started < 0.4


def test_an_offline_client_exposes_what_it_recorded(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.json"
    path.write_text(json.dumps(RULESET))
    client = Client.from_file(path)
    for unit in ("u1", "u2", "u1"):
        client.evaluate("checkout", {"id": unit})
    client.track("purchase", "u1", value=12.5)
    exposures = client.exposures()
    assert [(e["unit"], e["experiment"]) for e in exposures] == [
        ("u1", "checkout-test"),
        ("u2", "checkout-test"),
    ]
    assert {e["variant"] for e in exposures} <= {"control", "one-page"}
    assert all("timestamp" in e for e in exposures)
    assert client.exposures() == exposures  # reading does not consume
    taken = client.take_events()
    assert [e["type"] for e in taken] == ["exposure", "exposure", "track"]
    assert client.exposures() == []
    assert client.take_events() == []
