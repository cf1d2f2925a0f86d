"""Flag changes across two ``orgloop serve`` replicas on one PostgreSQL database.

Two replicas, A and B, start on a fresh PostgreSQL database (``--postgres``; default
``ORGLOOP_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, under
which a database of its own is created and dropped). A flag is toggled on A over HTTP.

- **Propagation**: one SDK stream open on A and one on B; for each of ``--changes`` toggles, the
  time from sending the toggle to A until each stream delivers the new ETag. A's own stream is
  the baseline measured in the same run (woken in-process, right after the commit); B's
  stream is woken through PostgreSQL NOTIFY/LISTEN. Reported: p50/p99/max of each, and of B
  minus A per change (what crossing replicas adds).
- **Fan-out**: ``--streams`` SDK streams (default 5,000), half on each replica, opened by two
  load-generator processes (asyncio, plain sockets); for each of ``--rounds`` toggles on A, the
  time until each stream delivered the new ETag (p50/p99/max over all streams; every stream must
  receive it) and the CPU seconds each replica spent delivering it.

Times are wall clock from ``time.monotonic`` (one clock for every process on Linux). The
machine is shared: the JSON records the load average before and after; CPU seconds of the
replicas are the steadier figure.

    .venv/bin/python -m bench.replicas [--changes 200] [--streams 5000] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from queue import Queue
from typing import Any

import sqlalchemy as sa

from bench import harness
from bench.loadgen import cpu_seconds, free_port, request

RESULTS = Path(__file__).resolve().parent / "results" / "replicas.json"
ENVIRONMENT = "bench"
FLAG = "bench-flag"
TARGET_P99_MS = 1000.0  # issue 16: a change on A reaches a stream on B within 1 s


# -- the two replicas ----------------------------------------------------------------------------


@contextmanager
def fresh_database(base_url: str) -> Iterator[str]:
    name = f"orgloop_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _more_files() -> None:
    """Thousands of open streams need as many file descriptors (up to the hard limit)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_replica(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ORGLOOP_DATABASE_URL": url,
        "ORGLOOP_DATA_DIR": str(data_dir),
        "ORGLOOP_ANALYSIS_INTERVAL_SECONDS": "0",
        "ORGLOOP_SSE_HEARTBEAT_SECONDS": "600",  # no heartbeats between the measured events
    }
    command = [sys.executable, "-m", "orgloop.main", "serve", "--port", str(port)]
    return subprocess.Popen(
        command, env=env, cwd=harness.ROOT, stdout=subprocess.DEVNULL, preexec_fn=_more_files
    )


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if request(port, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("orgloop serve did not start within 180 s")


def bootstrap(url: str, data_dir: Path) -> str:
    """Migrate the database and make the first admin token, as the first replica would."""
    from orgloop.app import build_services
    from orgloop.kernel.settings import Settings

    services = build_services(Settings(data_dir=data_dir, database_url=url))
    try:
        created = services.tokens.bootstrap_admin()
    finally:
        services.close()
    assert created is not None
    return created.secret


def prepare(port: int, admin: str) -> str:
    """A team, the flag it owns, and an SDK key of the environment: the key."""
    team = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "bench"},
        "spec": {"type": "team", "children": []},
    }
    status, body = request(port, "PUT", "/api/v1/catalog/entities", admin, {"descriptor": team})
    assert status in (200, 201), body
    flag = {"key": FLAG, "type": "boolean", "default_value": False, "owner": "bench"}
    status, body = request(port, "POST", "/api/v1/flags", admin, flag)
    assert status == 201, body
    status, body = request(
        port, "POST", "/api/v1/tokens", admin, {"role": "sdk", "environment": ENVIRONMENT}
    )
    assert status == 201, body
    secret: str = body["secret"]
    return secret


def toggle(con: http.client.HTTPConnection, admin: str, on: bool) -> None:
    path = f"/api/v1/flags/{FLAG}/environments/{ENVIRONMENT}/toggle?on={'true' if on else 'false'}"
    con.request("POST", path, headers={"Authorization": f"Bearer {admin}"})
    response = con.getresponse()
    response.read()
    assert response.status == 200, response.status


# -- SDK streams -----------------------------------------------------------------------------


def _stream_request(port: int, key: str) -> bytes:
    return (
        f"GET /api/v1/sdk/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()


async def _next_etag(reader: asyncio.StreamReader) -> str:
    """Read lines until the next ``data:`` line of an event (chunk sizes and headers skipped)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("stream closed")
        if line.startswith(b"data:"):
            etag: str = json.loads(line[5:])["etag"]
            return etag


def _stream_thread(port: int, key: str, arrivals: Queue[tuple[float, str]]) -> None:
    """One stream read in a thread: (arrival time, ETag) per event."""

    async def run() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_stream_request(port, key))
        while True:
            etag = await _next_etag(reader)
            arrivals.put((time.monotonic(), etag))

    with contextlib.suppress(ConnectionError):  # the replica stopped: the run is over
        asyncio.run(run())


def stream_worker(port: int, key: str, count: int, rounds: int, results: Any) -> None:
    """A load-generator process: ``count`` streams on ``port``; reports ready, then for each
    round the arrival time of the next event on every stream."""

    async def run() -> None:
        streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        for start in range(0, count, 200):  # in batches: the listen backlog is finite
            opened = await asyncio.gather(
                *(
                    asyncio.open_connection("127.0.0.1", port)
                    for _ in range(start, min(count, start + 200))
                )
            )
            for _reader, writer in opened:
                writer.write(_stream_request(port, key))
            await asyncio.gather(*(_next_etag(r) for r, _ in opened))
            streams.extend(opened)
        results.put(("ready", count))
        for _ in range(rounds):

            async def arrival(reader: asyncio.StreamReader) -> float:
                await _next_etag(reader)
                return time.monotonic()

            times = await asyncio.gather(
                *(asyncio.wait_for(arrival(r), 60) for r, _ in streams), return_exceptions=True
            )
            results.put(("round", [t if isinstance(t, float) else None for t in times]))
        for _, writer in streams:
            writer.close()

    _more_files()
    asyncio.run(run())


# -- the measurements ------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = max(0, min(len(ordered) - 1, round(0.99 * (len(ordered) - 1))))
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[cut] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def propagation(ports: tuple[int, int], admin: str, key: str, changes: int) -> dict[str, Any]:
    queues: list[Queue[tuple[float, str]]] = [Queue(), Queue()]
    for port, arrivals in zip(ports, queues, strict=True):
        threading.Thread(target=_stream_thread, args=(port, key, arrivals), daemon=True).start()
    for arrivals in queues:
        arrivals.get(timeout=60)  # the current ETag, sent when a stream opens
    local: list[float] = []
    remote: list[float] = []
    con = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=30)
    for i in range(changes):
        sent = time.monotonic()
        toggle(con, admin, on=i % 2 == 0)
        at_a, _ = queues[0].get(timeout=30)
        at_b, _ = queues[1].get(timeout=30)
        local.append(at_a - sent)
        remote.append(at_b - sent)
    con.close()
    return {
        "changes": changes,
        "same_replica": _ms(local),
        "other_replica": _ms(remote),
        "added_by_crossing": _ms([max(0.0, b - a) for a, b in zip(local, remote, strict=True)]),
    }


def fanout(
    ports: tuple[int, int],
    pids: tuple[int, int],
    admin: str,
    key: str,
    streams: int,
    rounds: int,
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    results: Any = ctx.Queue()
    shares = (streams - streams // 2, streams // 2)
    workers = [
        ctx.Process(target=stream_worker, args=(port, key, share, rounds, results))
        for port, share in zip(ports, shares, strict=True)
    ]
    opened = time.monotonic()
    for worker in workers:
        worker.start()
    for _ in workers:
        kind, _count = results.get(timeout=600)
        assert kind == "ready"
    open_seconds = time.monotonic() - opened
    con = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=30)
    measured = []
    for i in range(rounds):
        cpu_before = [cpu_seconds(pid) for pid in pids]
        sent = time.monotonic()
        toggle(con, admin, on=i % 2 == 0)
        arrivals: list[float | None] = []
        for _ in workers:
            kind, times = results.get(timeout=120)
            assert kind == "round"
            arrivals.extend(times)
        cpu_after = [cpu_seconds(pid) for pid in pids]
        received = [t - sent for t in arrivals if t is not None]
        measured.append(
            {
                **_ms(received),
                "missed": len(arrivals) - len(received),
                "replica_cpu_s": [
                    round(b - a, 3) for a, b in zip(cpu_before, cpu_after, strict=True)
                ],
            }
        )
    con.close()
    for worker in workers:
        worker.join(timeout=30)
    return {"streams": streams, "opened_in_s": round(open_seconds, 2), "rounds": measured}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "ORGLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--changes", type=int, default=200, help="Toggles timed one by one.")
    parser.add_argument("--streams", type=int, default=5000, help="Open SDK streams in all.")
    parser.add_argument("--rounds", type=int, default=3, help="Toggles timed over all streams.")
    parser.add_argument("--quick", action="store_true", help="20 changes, 200 streams, 1 round.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.changes, args.streams, args.rounds = 20, 200, 1
    load_before = harness.load_average()
    with fresh_database(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        admin = bootstrap(url, Path(tmp) / "a")
        ports = (free_port(), free_port())
        replicas = [
            start_replica(url, Path(tmp) / name, port)
            for name, port in zip("ab", ports, strict=True)
        ]
        try:
            for port, process in zip(ports, replicas, strict=True):
                wait_ready(port, process)
            key = prepare(ports[0], admin)
            spread = propagation(ports, admin, key, args.changes)
            pids = (replicas[0].pid, replicas[1].pid)
            fan = fanout(ports, pids, admin, key, args.streams, args.rounds)
        finally:
            for process in replicas:
                process.terminate()
            for process in replicas:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # still waiting for open streams to end
                    process.kill()
                    process.wait(timeout=10)
    result: dict[str, Any] = {
        "benchmark": "replicas",
        "target_p99_ms": TARGET_P99_MS,
        "propagation": spread,
        "fanout": fan,
        "machine": harness.machine(load_before, extra=("psycopg", "uvicorn")),
    }
    harness.write_result(args.out, result)
    other = spread["other_replica"]
    rows = [
        ("changes", str(spread["changes"])),
        (
            "same replica p50 / p99",
            f"{spread['same_replica']['p50_ms']} / {spread['same_replica']['p99_ms']} ms",
        ),
        ("other replica p50 / p99", f"{other['p50_ms']} / {other['p99_ms']} ms"),
        (
            "added by crossing p50 / p99",
            f"{spread['added_by_crossing']['p50_ms']} / {spread['added_by_crossing']['p99_ms']} ms",
        ),
        ("streams (two replicas)", f"{fan['streams']} (opened in {fan['opened_in_s']} s)"),
    ]
    for i, rnd in enumerate(fan["rounds"], 1):
        rows.append(
            (
                f"fan-out round {i} p50 / p99 / max",
                f"{rnd['p50_ms']} / {rnd['p99_ms']} / {rnd['max_ms']} ms, missed {rnd['missed']}, "
                f"replica CPU {rnd['replica_cpu_s']} s",
            )
        )
    rows.append(
        (
            "load average before / after",
            f"{load_before} / {result['machine']['load_average_after']}",
        )
    )
    print(harness.two_columns(rows))
    return result


if __name__ == "__main__":
    main()
