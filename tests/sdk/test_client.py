"""The SDK as a service uses it: local evaluation, refresh, exposures and events, failure modes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from orgloop.sdk import Client, EventBuffer

EXPERIMENT = {
    "kind": "experiment",
    "key": "checkout-test",
    "variations": ["control", "one-page"],
    "weights": [0.5, 0.5],
    "meta": [{"key": "control"}, {"key": "one-page"}],
}
RULESET: dict[str, Any] = {
    "environment": "production",
    "flags": {
        "dark-mode": {"type": "boolean", "default_value": False, "enabled": True, "rules": [
            {"kind": "force", "condition": {"plan": "pro"}, "value": True}]},
        "checkout": {"type": "string", "default_value": "control", "enabled": True,
                     "rules": [EXPERIMENT]},
    },
}  # fmt: skip


def _server(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.MockTransport, list[dict[str, Any]]]:
    """A fake orgloop at the HTTP edge: answers rulesets via ``handler``, records events."""
    events: list[dict[str, Any]] = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/events":
            events.extend(json.loads(request.content)["events"])
            return httpx.Response(202, json={})
        return handler(request)

    return httpx.MockTransport(route), events


def _client(transport: httpx.MockTransport, **options: Any) -> Client:
    options = {"stream": False, "poll_interval": 0.05, "flush_interval": 0.05, **options}
    return Client(url="http://orgloop", sdk_key="olp_sdk_x", transport=transport, **options)


def _until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_importing_the_sdk_loads_no_server_code() -> None:
    code = (
        "import orgloop.sdk, sys; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'pydantic', 'starlette', 'alembic', 'uvicorn', "
        "'opentelemetry', 'google') "
        "or m == 'orgloop.app' or m.endswith(('.service', '.store', '.api', '.db', '.http'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bootstrap_file_evaluates_offline(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(RULESET))
    with Client.from_file(path) as client:
        assert client.is_on("dark-mode", {"id": "u1", "plan": "pro"})
        assert not client.is_on("dark-mode", {"id": "u1", "plan": "free"})
        assert client.get_value("unknown", "fallback", {"id": "u1"}) == "fallback"
        assert client.evaluate("checkout", {"id": "u1"}).experiment_key == "checkout-test"
        assert client.environment == "production"


def test_an_unreachable_server_leaves_the_bootstrap_ruleset_serving() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport, _ = _server(down)
    with _client(transport, ruleset=RULESET) as client:
        time.sleep(0.15)
        assert client.is_on("dark-mode", {"plan": "pro"})


def test_a_bad_payload_is_ignored_and_the_last_good_ruleset_kept() -> None:
    payloads = [RULESET, {"flags": {"dark-mode": {"rules": [{"kind": "nope"}]}}}]
    calls: list[int] = []

    def serve(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        body = payloads[min(len(calls), 2) - 1]
        return httpx.Response(200, json=body, headers={"ETag": f'"{len(calls)}"'})

    transport, _ = _server(serve)
    with _client(transport) as client:
        assert client.wait_until_ready(5)
        assert _until(lambda: len(calls) >= 3)
        assert client.is_on("dark-mode", {"plan": "pro"})
        assert client.etag == '"1"'


def test_polling_sends_the_etag_and_a_304_keeps_the_ruleset() -> None:
    seen: list[str | None] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, json=RULESET, headers={"ETag": '"v1"'})

    transport, _ = _server(serve)
    with _client(transport) as client:
        assert _until(lambda: len(seen) >= 3)
        assert seen[:3] == [None, '"v1"', '"v1"']
        assert client.is_on("dark-mode", {"plan": "pro"})


def test_exposures_are_recorded_once_per_unit_and_variation_and_tracks_are_sent() -> None:
    transport, events = _server(lambda r: httpx.Response(200, json=RULESET))
    with _client(transport, flush_interval=60) as client:
        assert client.wait_until_ready(5)
        for _ in range(3):
            client.get_value("checkout", "control", {"id": "u1"})
        client.get_value("checkout", "control", {"id": "u2"})
        client.is_on("dark-mode", {"id": "u1"})
        client.track("purchase", "u1", value=42.5, properties={"sku": "a"})
    exposures = [e for e in events if e["type"] == "exposure"]
    assert sorted(e["unit"] for e in exposures) == ["u1", "u2"]
    assert {e["experiment"] for e in exposures} == {"checkout-test"}
    assert {e["variant"] for e in exposures} <= {"control", "one-page"}
    track = next(e for e in events if e["type"] == "track")
    assert (track["event"], track["value"], track["properties"]) == ("purchase", 42.5, {"sku": "a"})
    assert all(e["id"] and e["timestamp"].endswith("+00:00") for e in events)


def test_a_full_buffer_drops_the_newest_events_and_counts_them() -> None:
    buffer = EventBuffer(capacity=2)
    assert [buffer.add({"n": i}) for i in range(4)] == [1, 2, 0, 0]  # waiting count; 0: dropped
    assert buffer.dropped == 2
    assert buffer.take(10) == [{"n": 0}, {"n": 1}]


def test_a_failed_batch_is_retried_with_backoff_until_the_server_accepts_it() -> None:
    answers = iter([503, 0, 202])
    received: list[int] = []

    def events(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/v1/events":
            return httpx.Response(200, json=RULESET)
        status = next(answers)
        if status == 0:
            raise httpx.ReadTimeout("slow", request=request)
        received.append(len(json.loads(request.content)["events"]))
        return httpx.Response(status)

    client = _client(httpx.MockTransport(events), retry_delay=0.01)
    client.track("signup", "u1")
    client.close()
    assert received == [1, 1]
    assert client.dropped == 0


def test_events_the_server_refuses_are_dropped_and_counted() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422 if request.url.path == "/api/v1/events" else 200, json=RULESET)

    client = _client(httpx.MockTransport(refuse))
    client.track("signup", "u1")
    client.close()
    assert client.dropped == 1


def test_a_forked_child_restarts_its_own_background_work() -> None:
    transport, events = _server(lambda r: httpx.Response(200, json=RULESET))
    client = _client(transport)
    assert client.wait_until_ready(5)
    client.track("before-fork", "parent")
    pid = os.fork()
    if pid == 0:  # the child: fresh buffer, no inherited threads, still evaluates and sends
        ok = client._threads == [] and len(client._buffer) == 0
        ok = ok and client.is_on("dark-mode", {"plan": "pro"}) and len(client._threads) == 2
        client.track("in-child", "child")
        client.close()
        os._exit(0 if ok and [e["event"] for e in events][-1:] == ["in-child"] else 1)
    _, status = os.waitpid(pid, 0)
    client.close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert [e["event"] for e in events] == ["before-fork"]


def test_the_client_is_usable_from_asyncio_without_blocking_the_loop() -> None:
    transport, events = _server(lambda r: httpx.Response(200, json=RULESET))
    client = _client(transport, ruleset=RULESET, flush_interval=60)

    async def handler() -> bool:
        on = client.is_on("dark-mode", {"id": "u1", "plan": "pro"})
        client.track("click", "u1")
        await client.aflush()
        return on

    assert asyncio.run(handler())
    client.close()
    assert [e["event"] for e in events] == ["click"]


def test_evaluation_is_safe_from_many_threads() -> None:
    client = Client(ruleset=RULESET)
    values: list[Any] = []

    def work() -> None:
        values.extend(client.get_value("checkout", "x", {"id": f"u{i}"}) for i in range(500))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(values) == 2000
    assert set(values) == {"control", "one-page"}
    assert len(client._seen) == 500
    client.close()


def test_exposures_wait_as_tuples_and_are_sent_as_events_with_timestamps() -> None:
    buffer = EventBuffer(capacity=2)
    waiting = [buffer.add_exposure((f"u{i}", "exp", "a", 1_700_000_000.25)) for i in range(3)]
    assert waiting == [1, 2, 0]
    assert buffer.dropped == 1  # the newest is dropped and counted
    assert buffer.take(10) == [
        {
            "type": "exposure",
            "unit": f"u{i}",
            "experiment": "exp",
            "variant": "a",
            "timestamp": "2023-11-14T22:13:20.250+00:00",
        }
        for i in range(2)
    ]


def test_a_client_with_a_full_buffer_counts_dropped_exposures() -> None:
    client = Client(ruleset=RULESET, buffer_size=3)
    for i in range(5):
        client.get_value("checkout", "x", {"id": f"u{i}"})
        client.get_value("checkout", "x", {"id": f"u{i}"})  # seen: not recorded again
    assert len(client._buffer) == 3
    assert client._buffer.dropped == 2
    client.close()
