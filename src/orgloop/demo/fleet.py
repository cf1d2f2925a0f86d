"""Start the shop's services as processes on loopback ports, record their deploys, stop them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from orgloop.contracts.client import ContractsClient
from orgloop.demo.routes import ROUTES, VERSIONS
from orgloop.demo.server import free_port, stop, wait_healthy
from orgloop.kernel.client import ApiClient

LOCKSTEP = (("checkout", "orders"), ("3.0.0", "0.9.0"), ("3.0.1", "0.9.1"))
"""Checkout and orders (two teams) shipped together before: the deploys recorded before today's."""


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
                )
            )
        for (name, url), process in zip(fleet.urls.items(), fleet.processes, strict=True):
            wait_healthy(process, url + "/health", data_dir / f"{name}.log")
    except BaseException:
        fleet.stop()
        raise
    return fleet


def record_lockstep(api: ApiClient) -> int:
    """Earlier releases of checkout and orders, each time together (before today's versions)."""
    contracts = ContractsClient(api)
    pair, *rounds = LOCKSTEP
    for versions in rounds:
        for service, version in zip(pair, versions, strict=True):
            contracts.deployment(service, "deployments", version, "production")
    return len(rounds) * len(pair)


def record_deploys(api: ApiClient) -> int:
    """Every running version the contracts story did not deploy already (checkout, orders)."""
    contracts = ContractsClient(api)
    rest = {s: v for s, v in VERSIONS.items() if s not in LOCKSTEP[0]}
    for service, version in rest.items():
        contracts.deployment(service, "deployments", version, "production")
    return len(rest)
