"""The SDK where networks and servers misbehave, over real sockets: a payload nested past the
recursion limit, a server that accepts and never answers, a server that is down, an outage with
events flowing, and answers lost after the server stored the batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import orgloop
from orgloop.app import Services
from orgloop.kernel.clock import FixedClock
from orgloop.sdk import Client
from tests.live import LiveServer
from tests.sdk.edges import Proxy, RulesetServer, free_port, silent_server
from tests.sdk.server import flags_app, sdk_key

ROOT = Path(__file__).resolve().parents[2]


def _ruleset(on: bool) -> bytes:
    flag = {"type": "boolean", "default_value": on}
    return json.dumps({"environment": "production", "flags": {"new-checkout": flag}}).encode()


DEEP = b"[" * 100_000 + b"]" * 100_000
"""Valid JSON that no recursive parser reads with Python's default stack."""


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: these tests are about the SDK and the event store (DuckDB on both)."""
    return f"sqlite:///{tmp_path / 'orgloop.db'}"


@pytest.fixture
def clock() -> FixedClock:
    """Today: the server refuses events stamped more than a day after its clock."""
    return FixedClock(datetime.now(UTC))


@pytest.mark.parametrize("where", ["ruleset body", "stream event"])
def test_a_payload_nested_past_the_recursion_limit_leaves_the_refresher_alive(where: str) -> None:
    with RulesetServer(_ruleset(False)) as server:
        client = Client(url=server.url, sdk_key="k", stream=False, poll_interval=0.05)
        assert client.ready.is_set()
        if where == "ruleset body":
            server.body = DEEP
        else:
            client.close()
            server.stream = b"event: ruleset\ndata: " + DEEP + b"\n\n"
            client = Client(url=server.url, sdk_key="k", stream=True, poll_interval=0.05)
        seen = server.requests
        assert _until(lambda: server.requests >= seen + 3)  # the deep payload, read and refused
        assert not client.is_on("new-checkout")  # the last good ruleset still serves
        server.body = _ruleset(True)
        assert _until(lambda: client.is_on("new-checkout")), "the refresher died"
        client.close()


def test_close_against_a_server_that_never_answers_returns_within_its_timeout() -> None:
    with silent_server() as url:
        client = Client(url=url, sdk_key="k", init_timeout=0, flush_interval=0.05)
        for i in range(250):
            client.track("purchase", f"u{i}")
        started = time.monotonic()
        assert client.close(timeout=1.0) is False  # not everything could be sent
        assert time.monotonic() - started < 3.0  # 1 s, and room for a loaded machine


def test_a_silent_server_does_not_hold_the_hosts_exit() -> None:
    """The interpreter's exit closes every client (atexit) within the default timeout (3 s)."""
    script = (
        "import sys, time; from orgloop.sdk import Client\n"
        "c = Client(url=sys.argv[1], sdk_key='k', init_timeout=0)\n"
        "[c.track('purchase', f'u{i}') for i in range(3850)]\n"
        "print(time.monotonic(), flush=True)  # the program is done; the exit begins\n"
    )
    with silent_server() as url:
        done = subprocess.run(
            [sys.executable, "-c", script, url],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(Path(orgloop.__file__).parents[1])},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        exiting = time.monotonic() - float(done.stdout)  # one system-wide monotonic clock
    # 3 s of close(), then the interpreter's teardown, which takes seconds on a loaded machine;
    # the bound is loose on purpose: without the timeout the exit took minutes.
    assert exiting < 10.0, f"the exit took {exiting:.1f} s"


def test_flush_with_the_server_down_returns_within_its_timeout_and_keeps_the_events() -> None:
    client = Client(url=f"http://127.0.0.1:{free_port()}", sdk_key="k", init_timeout=0)
    for i in range(3850):
        client.track("purchase", f"u{i}")
    started = time.monotonic()
    assert client.flush(timeout=1.0) is False
    assert time.monotonic() - started < 3.0
    client.close(timeout=0.5)
    assert len(client.take_events()) == 3850  # still queued, ids and order kept
    assert client.dropped == 0


@pytest.fixture
def live(services: Services) -> Iterator[tuple[LiveServer, Proxy]]:
    with LiveServer(flags_app(services)) as server, Proxy(server.port) as proxy:
        yield server, proxy


def test_events_tracked_through_an_outage_are_delivered_once_after_it(
    services: Services, live: tuple[LiveServer, Proxy]
) -> None:
    _, proxy = live
    client = Client(
        url=proxy.url,
        sdk_key=sdk_key(services, "production"),
        flush_interval=0.1,
        retry_delay=0.05,
        max_retry_delay=0.5,
        timeout=0.5,
    )
    tracked = 0

    def track_for(seconds: float) -> None:
        nonlocal tracked
        until = time.monotonic() + seconds
        while time.monotonic() < until:  # about 400 events a second, as a busy service
            for _ in range(8):
                client.track("purchase", f"u{tracked}", value=1.0)
                tracked += 1
            time.sleep(0.02)

    track_for(0.5)
    proxy.down()  # the server is gone: connections refused
    track_for(2.0)
    proxy.up()
    proxy.answers = False  # batches reach the server, its answers are lost: sent again
    track_for(1.5)
    proxy.answers = True
    track_for(0.5)
    assert client.close(timeout=10.0)
    assert client.dropped == 0
    assert services.event_store().counts().events == tracked  # each exactly once
