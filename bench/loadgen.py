"""The HTTP load generator and the server it loads, shared by the ingest benchmarks.

A benchmark starts a real ``orgloop serve`` on a temporary data directory (``serve``: admin token
bootstrapped as the demo does, a free port; ``sdk_token`` makes an SDK key through the API), then
load-generator processes (``drive``).  Each worker builds its request bodies and hands them to
``post_on_go``: it reports ready, waits for the common go and posts them over keep-alive
connections (``post_all``), the benchmark's ``send`` counting what each answer says.  ``drive``
returns the workers' reports and the wall seconds from go to the last report; ``load_summary``
turns the reports into request latency percentiles and the load generator's CPU seconds.
Kept apart from ``bench.harness``, whose launcher process must stay small.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
Item = TypeVar("Item")
#: Sends one item over a connection with the given headers: (seconds taken, counts to add).
Send = Callable[[http.client.HTTPConnection, dict[str, str], Item], tuple[float, dict[str, int]]]


# -- the load generator ------------------------------------------------------------------------


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """``--processes`` and ``--connections``: the load generator's size, 4 x 2 by default."""
    parser.add_argument("--processes", type=int, default=4, help="Load-generator processes.")
    parser.add_argument("--connections", type=int, default=2, help="Connections per process.")


def post_all(
    job: dict[str, Any],
    items: Iterable[Item],
    send: Send[Item],
    *,
    content_type: str,
    counters: Sequence[str],
) -> dict[str, Any]:
    """Send ``items`` over ``job["connections"]`` keep-alive connections to ``job["port"]``.

    Returns the ``counters`` (from 0) summed over every ``send``, each request's latency and
    this process's CPU seconds since the call: the report a worker puts on its results queue."""
    cpu = time.process_time()
    lock = threading.Lock()
    totals = dict.fromkeys(counters, 0)
    latencies: list[float] = []
    todo = iter(items)

    def connection() -> None:
        con = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=120)
        headers = {"Authorization": f"Bearer {job['token']}", "Content-Type": content_type}
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                break
            elapsed, counts = send(con, headers, item)
            with lock:
                latencies.append(elapsed)
                for key, value in counts.items():
                    totals[key] = totals.get(key, 0) + value
        con.close()

    threads = [threading.Thread(target=connection) for _ in range(job["connections"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**totals, "latencies": latencies, "cpu_seconds": time.process_time() - cpu}


def post_on_go(
    job: dict[str, Any],
    queues: tuple[Any, Any, Any],
    items: Iterable[Item],
    send: Send[Item],
    *,
    content_type: str,
    counters: Sequence[str],
) -> None:
    """A worker's life once its ``items`` are built: with ``queues`` = (ready, go, results) from
    ``drive``, report ready, wait for go, ``post_all`` and put the report on results."""
    ready, go, results = queues
    ready.put(job["worker"])
    go.wait()
    results.put(post_all(job, items, send, content_type=content_type, counters=counters))


def drive(
    worker: Callable[..., None], jobs: Sequence[dict[str, Any]], *, ready_timeout: float
) -> tuple[list[dict[str, Any]], float]:
    """Run ``worker(job, ready, go, results)`` in a spawned process per job, all at once.

    Each worker puts its ``job["worker"]`` on ``ready`` when its bodies are built, waits for
    ``go``, then puts one report on ``results``.  Returns the reports and the wall seconds from
    go to the last report."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    workers = [ctx.Process(target=worker, args=(job, ready, go, results)) for job in jobs]
    for process in workers:
        process.start()
    for _ in workers:
        ready.get(timeout=ready_timeout)
    started = time.perf_counter()
    go.set()
    reports = [results.get(timeout=3600) for _ in workers]
    seconds = time.perf_counter() - started
    for process in workers:
        process.join()
    return reports, seconds


def load_summary(reports: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Request p50 and p99 in ms over every worker's requests, and the workers' CPU seconds."""
    latencies = sorted(x for r in reports for x in r["latencies"]) or [0.0]
    return {
        "request_p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "request_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
        "load_generator_cpu_seconds": round(sum(r["cpu_seconds"] for r in reports), 2),
    }


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bootstrap_admin(data_dir: Path) -> str:
    from orgloop.app import build_services
    from orgloop.kernel.settings import Settings

    services = build_services(Settings(data_dir=data_dir))
    admin = services.tokens.bootstrap_admin()
    services.db.engine.dispose()
    assert admin is not None
    return admin.secret


def serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """A fresh ``orgloop serve`` on ``data_dir`` and a free port: (process, port, admin token)."""
    admin = bootstrap_admin(data_dir)
    port = free_port()
    return start_server(data_dir, port), port, admin


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``orgloop serve`` on ``data_dir`` and ``port``, once its health check answers 200."""
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "orgloop.main", "serve", "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if request(port, "GET", "/api/v1/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("orgloop serve did not start within 120 s")


def request(
    port: int, method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, Any]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    con.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = con.getresponse()
    answer = response.read()
    con.close()
    return response.status, json.loads(answer) if answer else None


def sdk_token(port: int, admin: str) -> str:
    """A new SDK key for environment ``bench``, made through the API."""
    status, created = request(
        port, "POST", "/api/v1/tokens", admin, {"role": "sdk", "environment": "bench"}
    )
    assert status == 201, created
    secret: str = created["secret"]
    return secret


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
