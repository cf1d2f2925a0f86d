"""Saved groups as a service sees them: the SDK evaluates membership from the compiled ruleset,
offline from a file and live, where a change to the group reaches it over the stream."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.sdk import Client
from tests.live import LiveServer
from tests.sdk.server import add_team, flags_app, sdk_key

FLAG = {
    "key": "new-checkout",
    "type": "boolean",
    "default_value": False,
    "owner": "checkout",
    "environments": {
        "production": {
            "enabled": True,
            "rules": [{"kind": "force", "condition": {"id": {"$inGroup": "beta"}}, "value": True}],
        }
    },
}


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_a_ruleset_file_with_a_group_evaluates_membership_offline(
    services: Services, admin: TestClient, tmp_path: Path
) -> None:
    add_team(services, "checkout")
    group = {"key": "beta", "owner": "checkout", "values": ["u1", 42]}
    assert admin.post("/api/v1/saved-groups", json=group).status_code == 201
    assert admin.post("/api/v1/flags", json=FLAG).status_code == 201
    payload = admin.get("/api/v1/sdk/ruleset", params={"environment": "production"}).json()
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(payload))
    with Client.from_file(path) as client:
        assert client.is_on("new-checkout", {"id": "u1"})
        assert client.is_on("new-checkout", {"id": 42})
        assert not client.is_on("new-checkout", {"id": "u2"})


def test_changing_a_group_changes_the_etag_and_reaches_a_streaming_client(
    services: Services, admin_token: str
) -> None:
    add_team(services, "checkout")
    with LiveServer(flags_app(services, heartbeat=0.5)) as server:
        admin = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}
        )
        group = {"key": "beta", "owner": "checkout", "values": ["u1"]}
        admin.post("/api/v1/saved-groups", json=group).raise_for_status()
        admin.post("/api/v1/flags", json=FLAG).raise_for_status()
        client = Client(
            url=server.url,
            sdk_key=sdk_key(services, "production"),
            poll_interval=60,
            flush_interval=60,
        )
        assert client.wait_until_ready(10)
        before = client.etag
        assert not client.is_on("new-checkout", {"id": "u2"})
        group_update = {"owner": "checkout", "values": ["u1", "u2"]}
        admin.put("/api/v1/saved-groups/beta", json=group_update).raise_for_status()
        started = time.monotonic()
        assert _until(lambda: client.is_on("new-checkout", {"id": "u2"}))
        assert time.monotonic() - started < 2.0  # streamed, not the 60 s poll
        assert client.etag != before
        client.close()
        admin.close()
