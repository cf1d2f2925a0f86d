"""``python -m orgloop.demo [--no-wait] [--data-dir D] [--port P]``: run the demo shop.

orgloop, then the shop's services as processes of their own (``orgloop.demo.service``), the
customers' history through the SDK, every customer through the storefront over HTTP on its
simulated day (``--online``: only that many, the rest through the SDK directly), the analysis,
the service graph and the insights. Ctrl-C or SIGTERM stops every process it started.
"""

from __future__ import annotations

import argparse
import shutil
import signal
from pathlib import Path
from typing import Any

from orgloop.app import build_services
from orgloop.demo import contracts, experiments, findings, fleet, server, traffic, visits
from orgloop.demo.shop import EXAMPLES, import_shop
from orgloop.kernel.client import ApiClient
from orgloop.kernel.settings import Settings
from orgloop.sdk import Client


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orgloop demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(".demo"), help="Wiped and recreated.")
    parser.add_argument(
        "--port", type=int, default=8080, help="Preferred port (a free one if taken)."
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="Stop the server once the demo is set up."
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=CUSTOMERS,
        help=f"Simulated customers (default {CUSTOMERS}).",
    )
    parser.add_argument(
        "--online",
        type=int,
        default=None,
        help="Customers whose experiment period goes through the storefront over HTTP (default: "
        "all; the rest through the SDK directly, for shorter runs; 0: none).",
    )
    parser.add_argument("--seed", type=int, default=3, help="Seed of the simulated customers.")
    parser.add_argument(
        "--days",
        type=float,
        default=7.0,
        help="Simulated days the customers arrive over, ending now (default 7).",
    )
    return parser.parse_args(argv)


CUSTOMERS = 5_000
"""Enough for the analysis to find each true effect with an interval that excludes no effect,
few enough for all of them to visit the storefront over HTTP in about two minutes on 2 cores."""


def _admin_token(data_dir: Path) -> str:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    services = build_services(Settings(data_dir=data_dir))
    admin = services.tokens.bootstrap_admin()
    services.db.engine.dispose()
    assert admin is not None
    return admin.secret


def _catalog_and_contracts(api: ApiClient) -> None:
    report = import_shop(api)
    created, relations = report["created"], report["relations"]
    print(f"imported the demo shop: {len(created)} entities, {relations} relations")
    recorded = fleet.record_history(api)
    for line in contracts.verdict_lines(contracts.ship_orders_v2(api)):
        print(line)
    recorded += fleet.record_deploys(api)
    print(f"recorded {recorded} deployments to production")


Started = list[dict[str, Any]]


def _start_shop(
    api: ApiClient, base: str, args: argparse.Namespace
) -> tuple[Started, str, fleet.Fleet]:
    """The flags and experiments first (the services load them as they start), then the shop."""
    started = experiments.set_up(api, EXAMPLES / "experiments")
    print(f"\nstarted {len(started)} experiments: {', '.join(e['key'] for e in started)}")
    sdk_key = api.post("/api/v1/tokens", {"role": "sdk", "environment": "production"})["secret"]
    shop = fleet.start(args.data_dir, orgloop=base, sdk_key=sdk_key, first_port=args.port)
    for line in shop.moved:
        print(line)
    ports = ", ".join(f"{name} :{url.rsplit(':', 1)[1]}" for name, url in shop.urls.items())
    print(f"started {len(shop.urls)} services: {ports}", flush=True)
    return started, sdk_key, shop


def _experiments(
    api: ApiClient,
    base: str,
    args: argparse.Namespace,
    shop_state: tuple[Started, str, fleet.Fleet],
) -> list[str]:
    started, sdk_key, shop = shop_state
    keys = [e["key"] for e in started]
    # A whole period of the shop is queued faster than it is sent: a buffer that holds it all,
    # and big batches, so no event is dropped and the sender keeps up. The flags are set before
    # the client starts, so it needs no event stream (which would hold the server's shutdown).
    clock = traffic.SimulatedClock()  # each event and exposure at its simulated moment
    sdk = Client(
        url=base,
        sdk_key=sdk_key,
        environment="production",
        stream=False,
        batch_size=2000,
        buffer_size=500_000,
        clock=clock,
    )
    with sdk:
        if not sdk.wait_until_ready(30):
            raise SystemExit("the SDK did not load the production ruleset within 30 s")
        run = traffic.run(
            sdk,
            experiments=keys,
            customers=args.customers,
            seed=args.seed,
            visitor=visits.storefront(shop.urls["storefront"]),
            online=args.customers if args.online is None else args.online,
            clock=clock,
            days=args.days,
        )
    dropped = sdk.dropped + shop.flush()
    exposures = sum(sum(variants.values()) for variants in run.exposures.values())
    rest = run.customers - run.visits
    print(
        f"simulated {run.customers} customers in {run.seconds:.1f} s: {run.visits} of them "
        f"through the storefront over HTTP"
        + (f" and {rest} through the SDK directly" if rest else "")
        + f", {exposures} exposures, {dropped} events dropped"
    )
    print(
        f"  their visits spread over the last {args.days:g} simulated days, each exposure and "
        f"event at its visit's moment;\n  their shopping before the experiments (the history "
        f"CUPED uses)"
        + (" and the period of those not online" if rest else "")
        + f" sent through the SDK directly: {run.events} events"
    )
    reports = experiments.analyse(api)
    for experiment in started:
        print()
        for line in experiments.table(experiment, reports[experiment["key"]]):
            print(line)
    decision = experiments.decide(api)
    print(f"\ndecided {decision['experiment']}: {decision['decision']} ({decision['reason']})")
    learnings = api.get("/api/v1/learnings")["items"]
    decided = sum(1 for item in learnings if item["decision"])
    print(f"learning log: {len(learnings)} experiments, {decided} decided")
    return keys


def _findings(api: ApiClient) -> None:
    print()
    for line in contracts.verdict_lines(contracts.ask_again(api)):
        print(line)
    print()
    for line in findings.graph_lines(api):
        print(line)
    print()
    for line in findings.insight_lines(api):
        print(line)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    secret = _admin_token(args.data_dir)
    port = server.free_port(args.port)
    if args.port and port != args.port:
        print(f"port {args.port} is taken; using {port} instead", flush=True)
    print(f"starting orgloop on http://127.0.0.1:{port} (data in {args.data_dir}/) ...", flush=True)
    process = server.start_server(args.data_dir, port)
    shop = fleet.Fleet()
    try:
        base = f"http://127.0.0.1:{port}"
        api = ApiClient(base, secret, timeout=120)
        _catalog_and_contracts(api)
        state = _start_shop(api, base, args)
        shop = state[2]
        keys = _experiments(api, base, args, state)
        _findings(api)
        print()
        print(f"  dashboard:   {base}/?token={secret}")
        print(f"  graph:       {base}/traces")
        print(f"  insights:    {base}/insights/conway  {base}/insights/monolith")
        for key in keys:
            print(f"  experiment:  {base}/experiments/{key}")
        print(f"  storefront:  {shop.urls['storefront']}/docs")
        print(f"  admin token: {secret}")
        print()
        print(f"  try:  export ORGLOOP_URL={base} ORGLOOP_TOKEN={secret}")
        print("        orgloop catalog services")
        print("        orgloop catalog show component:checkout")
        print("        orgloop can-i-deploy orders --version 2.0.0 --to production")
        print("        orgloop experiments analyze recommendations-v2")
        print("        orgloop experiments learnings --team checkout")
        print("        orgloop traces graph")
        print("        orgloop insights conway")
        if args.no_wait:
            return 0
        print(f"\norgloop and the {len(shop.urls)} services run until you press Ctrl-C", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0
    finally:
        shop.stop()
        server.stop(process)


if __name__ == "__main__":
    raise SystemExit(main())
