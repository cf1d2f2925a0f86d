"""A real Prometheus (Debian's ``prometheus`` package) started by a test, and a fixture target.

``Prometheus`` runs the binary with its own configuration, TSDB directory and loopback port,
scraping one target every second; without the binary the test skips, or fails when
``ORGLOOP_REQUIRE_PROMETHEUS=1`` (CI). ``ExpositionTarget`` serves a text exposition whose
counters grow with every scrape.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

SCRAPE_SECONDS = 1


def prometheus_binary() -> str:
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )
    if found is None:
        reason = (
            "no prometheus binary (apt-get install prometheus; `make test` installs it as root)"
        )
        if os.environ.get("ORGLOOP_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"ORGLOOP_REQUIRE_PROMETHEUS=1 but {reason}")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Prometheus:
    """``prometheus`` scraping ``target`` (host:port) every second, until ``stop``."""

    def __init__(self, workdir: Path, target: str, *, bearer: str | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        auth = f"    authorization:\n      credentials: {bearer}\n" if bearer else ""
        config = workdir / "prometheus.yml"
        config.write_text(
            f"global:\n  scrape_interval: {SCRAPE_SECONDS}s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            f"  - job_name: target\n    metrics_path: /metrics\n{auth}"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        self._log = (workdir / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [
                prometheus_binary(),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._logfile = workdir / "prometheus.log"
        self._wait(lambda: httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200, 30)

    def wait_for_samples(self, metric: str, count: int, timeout: float = 30) -> None:
        """Until ``metric`` has ``count`` scraped samples in the last minute."""

        def enough() -> bool:
            answer = self.query(f"max(count_over_time({metric}[1m]))")
            return bool(answer) and float(answer[0]["value"][1]) >= count

        self._wait(enough, timeout)

    def query(self, promql: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5).json()
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def _wait(self, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self._logfile.read_text()[-2000:]}")
            try:
                if check():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(
            f"prometheus not ready in {timeout} s: {self._logfile.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class ExpositionTarget:
    """Serves ``render(n)`` at ``/metrics`` for the n-th scrape (n = 1, 2, ...)."""

    def __init__(self, render: Callable[[int], str]) -> None:
        self.scrapes = 0
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target.scrapes += 1
                body = render(target.scrapes).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
