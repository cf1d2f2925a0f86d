"""Start the shop's services as processes on loopback ports, record their deploys, stop them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from orgloop.contracts.client import ContractsClient
from orgloop.demo.routes import ROUTES, VERSIONS
from orgloop.demo.server import die_with_parent, free_port, stop, wait_healthy
from orgloop.kernel.client import ApiClient

PAIR = ("checkout", "orders")
LOCKSTEP = (
    (6.2, "3.0.0", "0.9.0"),
    (4.9, "3.0.1", "0.9.1"),
    (3.1, "3.0.2", "0.9.2"),
    (1.4, "3.0.3", "0.9.3"),
)
"""Checkout and orders (two teams) shipped together on earlier days (days ago, then each one's
version), minutes apart within one hour each time: the lockstep pair the insights find."""

EARLIER: dict[str, tuple[tuple[float, str], ...]] = {
    "storefront": ((6.6, "5.0.0"), (2.3, "5.1.0")),
    "recommendations": ((5.4, "1.9.0"),),
    "product-catalog": ((5.8, "1.3.0"), (0.7, "1.3.1")),
    "cart": ((4.2, "2.2.0"),),
    "payments": ((6.9, "1.8.0"), (2.7, "1.8.1")),
    "inventory": ((3.6, "1.1.0"),),
    "shipping": ((4.6, "1.0.0"), (1.9, "1.0.1")),
    "identity": ((5.1, "3.9.0"),),
}
"""Each other service's own earlier deploys (days ago, version), each at a time of its own."""

PAIR_GAP = timedelta(minutes=12)
"""How long after checkout its partner orders shipped each time (the same deploy window)."""


@dataclass
class Fleet:
    """The running services: name -> base URL, and their processes."""

    urls: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # "name: preferred -> used" when taken

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            stop(process)

    def flush(self) -> int:
        """Every service sends its queued events and spans now; the events they dropped."""
        dropped = 0
        for url in self.urls.values():
            dropped += int(httpx.post(url + "/admin/flush", timeout=60).json()["dropped"])
        return dropped


def start(data_dir: Path, *, orgloop: str, sdk_key: str, first_port: int) -> Fleet:
    """One process per service in ``ROUTES``, on ``first_port`` and up (free ones when taken)."""
    fleet = Fleet()
    for offset, name in enumerate(ROUTES, start=1):
        preferred = first_port + offset if first_port else 0
        port = free_port(preferred)
        if preferred and port != preferred:
            fleet.moved.append(f"{name}: port {preferred} is taken; using {port} instead")
        fleet.urls[name] = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ORGLOOP_URL": orgloop,
        "ORGLOOP_SDK_KEY": sdk_key,
        "ORGLOOP_DEMO_PEERS": json.dumps(fleet.urls),
    }
    try:
        for name, url in fleet.urls.items():
            log = data_dir / f"{name}.log"
            listen = url.rsplit(":", 1)[1]
            fleet.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "orgloop.demo.service", name, "--port", listen],
                    env=env,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent(),  # gone when the demo is, even killed
                )
            )
        for (name, url), process in zip(fleet.urls.items(), fleet.processes, strict=True):
            wait_healthy(process, url + "/health", data_dir / f"{name}.log")
    except BaseException:
        fleet.stop()
        raise
    return fleet


def record_history(api: ApiClient, now: datetime | None = None) -> int:
    """The deploys of the past week, recorded after the fact with their times (oldest first,
    so each replaces the one before): checkout and orders always together, the rest alone."""
    now = now or datetime.now(UTC)
    first, second = PAIR
    history: list[tuple[datetime, str, str]] = []
    for days, one, other in LOCKSTEP:
        hour = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        at = hour + timedelta(minutes=5)  # both in one deploy window (an hour)
        history += [(at, first, one), (at + PAIR_GAP, second, other)]
    for service, deploys in EARLIER.items():
        history += [(now - timedelta(days=days), service, version) for days, version in deploys]
    for at, service, version in sorted(history):
        body = {"version": version, "environment": "production", "started_at": at.isoformat()}
        api.post(f"/api/v1/services/{service}/deployments", body)
    return len(history)


def record_deploys(api: ApiClient) -> int:
    """Every running version the contracts story did not deploy already (checkout, orders)."""
    contracts = ContractsClient(api)
    rest = {s: v for s, v in VERSIONS.items() if s not in PAIR}
    for service, version in rest.items():
        contracts.deployment(service, "deployments", version, "production")
    return len(rest)
