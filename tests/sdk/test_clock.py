"""A client given a clock stamps its events and exposures with that clock's time (a simulation
spanning days, a replay): what the server receives carries those times."""

from __future__ import annotations

import json
from typing import Any

import httpx

from orgloop.sdk import Client
from tests.sdk.test_client import RULESET


def test_events_and_exposures_carry_the_clocks_time() -> None:
    received: list[dict[str, Any]] = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/events":
            received.extend(json.loads(request.content)["events"])
            return httpx.Response(202, json={})
        return httpx.Response(200, json=RULESET)

    simulated = [1_700_000_000.0]  # 2023-11-14T22:13:20Z
    client = Client(
        url="http://orgloop",
        sdk_key="olp_sdk_x",
        transport=httpx.MockTransport(route),
        stream=False,
        flush_interval=60,
        clock=lambda: simulated[0],
    )
    with client:
        assert client.wait_until_ready(5)
        client.get_value("checkout", "control", {"id": "u1"})
        simulated[0] += 86_400.5  # a simulated day and a half-second later
        client.track("purchase", "u1", value=12.5)
        assert client.flush()
    stamps = {e["type"]: e["timestamp"] for e in received}
    assert stamps == {
        "exposure": "2023-11-14T22:13:20.000+00:00",
        "track": "2023-11-15T22:13:20.500+00:00",
    }
