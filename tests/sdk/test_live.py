"""The SDK against a real orgloop server: streamed updates, the kill switch, events delivered."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from orgloop.app import Services
from orgloop.sdk import Client
from tests.live import LiveServer
from tests.sdk.server import add_team, flags_app, sdk_key


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_a_kill_reaches_a_streaming_client_within_a_second(
    services: Services, admin_token: str
) -> None:
    add_team(services, "checkout")
    events: list[dict[str, Any]] = []
    with LiveServer(flags_app(services, heartbeat=0.5, events=events)) as server:
        admin = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}
        )
        admin.post(
            "/api/v1/flags",
            json={"key": "new-checkout", "type": "boolean", "owner": "checkout",
                  "default_value": False,
                  "environments": {"production": {"enabled": True, "rules": [
                      {"kind": "force", "value": True}]}}},
        ).raise_for_status()  # fmt: skip
        client = Client(
            url=server.url,
            sdk_key=sdk_key(services, "production"),
            poll_interval=60,
            flush_interval=60,
        )
        assert client.wait_until_ready(10)
        assert client.is_on("new-checkout", {"id": "u1"})
        admin.post("/api/v1/flags/new-checkout/kill", params={"env": "production"})
        started = time.monotonic()
        assert _until(lambda: not client.is_on("new-checkout", {"id": "u1"}))
        assert time.monotonic() - started < 2.0  # streamed, not the 60 s poll
        client.track("purchase", "u1", value=10)
        client.close()
        admin.close()
    assert [(e["type"], e["event"], e["unit"]) for e in events] == [("track", "purchase", "u1")]
