"""Start and stop the demo's ``orgloop serve`` process on a fresh data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Return once ``url`` answers 200; exit with a pointer to ``log`` if it never does."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited early; see {log}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{url} did not answer within 60 s; see {log}")


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir), "ORGLOOP_PORT": str(port)}
    env.pop("ORGLOOP_DATABASE_URL", None)
    log = data_dir / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "orgloop.main", "serve"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_healthy(process, f"http://127.0.0.1:{port}/api/v1/health", log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
