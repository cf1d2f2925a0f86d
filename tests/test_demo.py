"""``make demo`` works: orgloop and the shop's services as processes, customers through the
storefront over HTTP on their simulated days (in this shortened run the rest through the SDK),
the true effects found, the service graph and the insights' findings served, the breaking deploy
refused, and every process stopped on SIGTERM.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import httpx
import pytest

# The simulated customers' true effects on each experiment's primary metric.
TRUE_LIFTS = {
    "checkout-seconds": -0.28,
    "checkout-seconds-p90": -0.28,  # every checkout 28% faster: its 90th percentile too
    "spend": 0.15,
    "packing-mistakes": -0.18,
}
ROW = re.compile(
    r"^\s+(?P<metric>[a-z0-9-]+)\s+(?P<role>primary|secondary|guardrail)\s+treatment\s+(?P<lift>[-+][\d.]+)%"
    r"\s+\[(?P<low>[-+][\d.]+)%, (?P<high>[-+][\d.]+)%\]",
    re.MULTILINE,
)
READY = "run until you press Ctrl-C"
CUSTOMERS = 5_000  # the demo's default
ONLINE = 1_000  # customers through the services over HTTP (by default the demo sends them all)


def _lines_until(stream: IO[str], marker: str, seconds: float) -> Iterator[str]:
    deadline = time.monotonic() + seconds
    for line in stream:
        yield line
        if marker in line or time.monotonic() > deadline:
            return


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return True
    return False


@pytest.mark.slow
def test_demo_runs_the_shop_finds_the_effects_and_stops_every_process(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the preferred port is busy: the demo says so, picks another
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        demo = subprocess.Popen(
            [sys.executable, "-m", "orgloop.demo", "--data-dir", str(tmp_path / "demo"),
             "--port", str(busy), "--online", str(ONLINE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # our SIGTERM, not a terminal's Ctrl-C, stops it
            env={**os.environ, "COLUMNS": "120"},
        )  # fmt: skip
        try:
            assert demo.stdout is not None
            out = "".join(_lines_until(demo.stdout, READY, 280))
            assert READY in out, out
            _check_the_live_demo(out, tmp_path)
        finally:
            demo.send_signal(signal.SIGTERM)
            rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, out + rest
    port = re.search(rf"port {busy} is taken; using (\d+) instead", out)
    assert port is not None, out
    services = dict(re.findall(r"([a-z-]+) :(\d+)", out.split("started 10 services: ")[1]))
    assert len(services) == 10
    for service_port in [port[1], *services.values()]:  # nothing left running after the exit
        assert _refused(f"http://127.0.0.1:{service_port}/health"), service_port
    logs = tmp_path / "demo"
    for log in ["server.log", *(f"{name}.log" for name in services)]:
        assert "Traceback" not in (logs / log).read_text(), log


def _check_the_live_demo(out: str, tmp_path: Path) -> None:
    assert "imported the demo shop: 47 entities" in out
    assert "can-i-deploy orders 2.0.0 --to production: no" in out
    assert "checkout 3.1.0, team checkout: GET /orders/{id}: field 'total'" in out
    assert (tmp_path / "demo" / "orgloop.db").exists()
    # After the traffic, can-i-deploy also names the consumer seen calling orders in traces.
    assert re.search(r"seen in traffic: recommendations 2\.0\.0, team discovery", out), out

    rows = {m["metric"]: m for m in ROW.finditer(out)}
    for metric, truth in TRUE_LIFTS.items():
        lift, low, high = (float(rows[metric][k]) / 100 for k in ("lift", "low", "high"))
        assert abs(lift - truth) < 0.05, (metric, lift)
        assert low <= truth <= high, (metric, low, high)
        assert high < 0 or low > 0, (metric, low, high)  # the interval excludes no effect
    assert "checkout-latency" in rows  # the latency guardrail, from the services' traces
    assert out.count("recommendation: ship") == 3
    assert re.search(
        rf"{CUSTOMERS} customers in [\d.]+ s: {ONLINE} of them through the storefront over HTTP "
        rf"and {CUSTOMERS - ONLINE} through the SDK directly, {3 * CUSTOMERS} exposures, "
        r"0 events dropped",
        out,
    ), out
    assert "decided one-page-checkout: ship" in out
    assert "learning log: 3 experiments, 1 decided" in out
    assert re.search(r"experiment:\s+http://127\.0\.0\.1:\d+/experiments/guided-packing", out)

    base = re.search(r"dashboard:\s+(http://127\.0\.0\.1:\d+)/\?token=(olp_adm_\S+)", out)
    assert base is not None, out
    api = httpx.Client(base_url=base[1], headers={"Authorization": f"Bearer {base[2]}"})
    graph = api.get("/api/v1/traces/graph", params={"since": "1h"}).json()
    calls = {(e["client"], e["server"]): e["requests"] for e in graph["edges"]}
    chain = ["storefront", "checkout", "orders", "inventory", "shipping", "identity"]
    for edge in [("storefront", "cart"), *itertools.pairwise(chain)]:
        assert calls.get(edge, 0) >= ONLINE, (edge, calls)

    conway = api.get("/api/v1/insights/conway").json()
    uncovered = [sorted(need["teams"]) for need in conway["uncovered"]]
    assert uncovered == [["discovery", "fulfilment"]], conway["uncovered"]
    signals = api.get("/api/v1/insights/monolith").json()["signals"]
    deep = [s for s in signals if s["kind"] == "deep-chain"]
    assert deep, signals
    assert deep[0]["evidence"]["entry"] == "storefront"
    assert deep[0]["evidence"]["depth"] >= 5
    # The deploy history spans the simulated week: checkout and orders (two teams) always
    # shipped together, found as a lockstep pair; everyone else shipped alone.
    lockstep = [s for s in signals if s["kind"] == "lockstep-deploys"]
    assert [(s["services"], s["teams"]) for s in lockstep] == [
        (["checkout", "orders"], ["checkout", "fulfilment"])
    ], lockstep
    assert lockstep[0]["evidence"]["shared_windows"] >= 4
    history = api.get("/api/v1/deployments/history", params={"limit": 1000}).json()["items"]
    days = {item["started_at"][:10] for item in history}
    assert len(days) >= 6, days
    assert "lockstep-deploys: checkout and orders were deployed together" in out
    dora = api.get("/api/v1/insights/dora", params={"since": history[0]["started_at"]}).json()
    per_team = {g["key"]: g["metrics"]["deployments"] for g in dora["groups"]}
    assert per_team["checkout"] >= 5, per_team  # four earlier releases of checkout, and today's
    assert dora["total"]["deployments"] == len(history), dora["total"]
    # The customers arrived evenly over the 7 simulated days: three days ago, 4/7 of them had
    # (0.571; 0.457 if the storefront's customers were stamped with the real time instead of
    # their visit's moment). Each service stamped its exposures at the moment the visit carried.
    then = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    for key in ["one-page-checkout", "recommendations-v2", "guided-packing"]:
        past = api.get(f"/api/v1/experiments/{key}/analysis", params={"until": then})
        units = sum(past.json()["units"].values())
        assert 0.52 * CUSTOMERS < units < 0.62 * CUSTOMERS, (key, units)
    for page in ["/traces", "/insights/conway", "/insights/monolith"]:
        assert api.get(page).status_code == 200, page


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits to be collected


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="children die with it on Linux")
def test_killing_the_demo_leaves_no_process_behind(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "orgloop.demo", "--data-dir", str(tmp_path / "demo"),
         "--port", "0", "--customers", "100", "--online", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    assert demo.stdout is not None
    out = "".join(_lines_until(demo.stdout, "started 10 services", 240))
    assert "started 10 services" in out, out
    server = re.search(r"starting orgloop on http://127\.0\.0\.1:(\d+)", out)
    assert server is not None, out
    ports = [server[1], *re.findall(r"[a-z-]+ :(\d+)", out.split("started 10 services: ")[1])]
    children = _children(demo.pid)
    assert len(children) == 11, children  # orgloop and the ten services
    demo.kill()  # SIGKILL: the demo runs no clean-up of its own
    demo.wait(timeout=10)
    demo.stdout.close()
    deadline = time.monotonic() + 60
    while any(map(_alive, children)) and time.monotonic() < deadline:
        time.sleep(0.2)  # polling the kernel's process table: there is no event to await
    assert not [pid for pid in children if _alive(pid)]
    for port in ports:
        assert _refused(f"http://127.0.0.1:{port}/health"), port
