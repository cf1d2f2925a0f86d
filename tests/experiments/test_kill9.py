"""A server killed with SIGKILL loses no acknowledged event: ack means committed to disk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from orgloop.app import build_services
from orgloop.kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BATCH = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    command += ["tests.experiments.ingest_server:create_app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail("the ingest server did not start within 30 s")


@pytest.fixture
def admin_secret(tmp_path: Path) -> str:
    services = build_services(Settings(data_dir=tmp_path))
    created = services.tokens.bootstrap_admin()
    services.db.engine.dispose()
    assert created is not None
    return created.secret


def _batch(start: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"evt-{i}",
            "type": "track",
            "unit": f"user-{i % 97}",
            "timestamp": "2025-06-01T00:00:00Z",
            "event": "purchase",
            "value": float(i),
        }
        for i in range(start, start + BATCH)
    ]


def _post_until_killed(client: httpx.Client, acked: list[list[dict[str, object]]]) -> None:
    start = 0
    while True:
        batch = _batch(start)
        try:
            response = client.post("/api/v1/events", json={"events": batch})
        except httpx.TransportError:
            return
        if response.status_code == 200 and response.json()["accepted"] == BATCH:
            acked.append(batch)
        start += BATCH


def test_every_acknowledged_event_survives_kill_9(tmp_path: Path, admin_secret: str) -> None:
    port = _free_port()
    headers = {"Authorization": f"Bearer {admin_secret}"}
    server = _start(tmp_path, port)
    acked: list[list[dict[str, object]]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
        writer = threading.Thread(target=_post_until_killed, args=(client, acked))
        writer.start()
        while len(acked) < 10 and writer.is_alive():
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-stream: a batch may be in flight
        server.wait(timeout=10)
        writer.join(timeout=20)
    assert len(acked) >= 10

    server = _start(tmp_path, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            for batch in acked:
                body = client.post("/api/v1/events", json={"events": batch}).json()
                assert (body["accepted"], body["duplicates"]) == (0, BATCH)
    finally:
        server.terminate()
        server.wait(timeout=10)
