"""``make demo``: a small online shop on this machine, with orgloop watching over it.

Starts ``orgloop serve`` on a fresh data directory, imports the demo organisation from
``examples/shop`` through the real HTTP API, then prints the dashboard URL and the admin token.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from orgloop.app import build_services
from orgloop.catalog.client import CatalogClient, descriptor_payload
from orgloop.catalog.locations import load_paths
from orgloop.catalog.writer import entity_to_dict as descriptor_of
from orgloop.contracts.client import ContractsClient
from orgloop.kernel.client import ApiClient
from orgloop.kernel.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "shop"


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir), "ORGLOOP_PORT": str(port)}
    env.pop("ORGLOOP_DATABASE_URL", None)
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "orgloop.main", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api/v1/health"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited early; see {data_dir / 'server.log'}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not answer within 60 s; see {data_dir / 'server.log'}")


def import_shop(api: ApiClient) -> dict[str, Any]:
    loaded = load_paths([EXAMPLES / "catalog-info.yaml"])
    if loaded.issues:
        raise SystemExit("the demo descriptors are invalid:\n" + "\n".join(map(str, loaded.issues)))
    items = [descriptor_payload(e, descriptor_of(e)) for e in loaded.entities]
    return CatalogClient(api).import_descriptors(items, prune=False, dry_run=False)


def ship_orders_v2(api: ApiClient) -> dict[str, Any]:
    """Orders v2 drops a field checkout reads: can-i-deploy must stop it and say whom to ask."""
    contracts = ContractsClient(api)
    folder = EXAMPLES / "contracts"
    contracts.publish("orders", "1.0.0", (folder / "orders-v1.yaml").read_text(), "orders-api")
    uses = (folder / "checkout-uses-orders.yaml").read_text()
    contracts.publish_contract("checkout", "3.1.0", "orders", "light", uses)
    contracts.deployment("orders", "deployments", "1.0.0", "production")
    contracts.deployment("checkout", "deployments", "3.1.0", "production")
    contracts.publish("orders", "2.0.0", (folder / "orders-v2.yaml").read_text(), "orders-api")
    return contracts.can_i_deploy("orders", "2.0.0", "production", [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orgloop demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(".demo"), help="Wiped and recreated.")
    parser.add_argument(
        "--port", type=int, default=8080, help="Preferred port (a free one if taken)."
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="Stop the server once the demo is set up."
    )
    args = parser.parse_args(argv)

    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    services = build_services(Settings(data_dir=args.data_dir))
    admin = services.tokens.bootstrap_admin()
    services.db.engine.dispose()
    assert admin is not None
    port = free_port(args.port)
    print(f"starting orgloop on http://127.0.0.1:{port} (data in {args.data_dir}/) ...", flush=True)
    server = start_server(args.data_dir, port)
    try:
        base = f"http://127.0.0.1:{port}"
        api = ApiClient(base, admin.secret)
        report = import_shop(api)
        created, relations = report["created"], report["relations"]
        print(f"imported the demo shop: {len(created)} entities, {relations} relations")
        verdict = ship_orders_v2(api)
        answer = {True: "yes", False: "no", None: "unknown"}[verdict["deployable"]]
        print(f"can-i-deploy orders 2.0.0 --to production: {answer}")
        for reason in verdict["reasons"]:
            who = f"{reason['service']} {reason['version']}, team {reason['team']}"
            print(f"  - {who}: {reason['detail']}")
        print()
        print(f"  dashboard:   {base}/?token={admin.secret}")
        print(f"  admin token: {admin.secret}")
        print()
        print(f"  try:  export ORGLOOP_URL={base} ORGLOOP_TOKEN={admin.secret}")
        print("        orgloop catalog services")
        print("        orgloop catalog show component:checkout")
        print("        orgloop can-i-deploy orders --version 2.0.0 --to production")
        if args.no_wait:
            return 0
        print("\nthe server runs until you press Ctrl-C", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    raise SystemExit(main())
