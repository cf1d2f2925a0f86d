"""can-i-deploy latency on a large synthetic organisation, through the service layer.

1,000 services x 50 versions x 5 environments, loaded directly through the store into a
temporary SQLite database. Every version has an API document and light contracts on two
providers; every environment runs one version of each service and supports two older releases.
One service in ten drops a field its consumers read in every other generation of its API, so
some answers are "no"; one query in ten asks about a version nobody recorded ("unknown").

The queries are asked twice: a cold pass (nothing computed yet for those documents) and a warm
pass (the same questions again, as a CI job retrying or a second environment asking). Prints
p50/p95/p99 per pass and per verdict and writes bench/results/can_i_deploy.json.

    .venv/bin/python -m bench.can_i_deploy [--services 1000] [--queries 500] [--quick]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import harness
from orgloop.catalog.service import CatalogService
from orgloop.contracts import store
from orgloop.contracts.service import ContractService
from orgloop.kernel import db as kernel_db
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import FixedClock

ENVIRONMENTS = ("dev", "test", "staging", "production", "eu-production")
RESULTS = Path(__file__).resolve().parent / "results" / "can_i_deploy.json"
TARGET_P99_MS = 50.0
VERDICTS = {True: "yes", False: "no", None: "unknown"}


def api_document(service: int, generation: int) -> dict[str, Any]:
    """Each service's API gains one field every ten versions (so documents repeat); a fragile
    service (one in ten) drops ``f1``, which its consumers read, in odd generations."""
    fields = {f"f{i}": {"type": "string"} for i in range(3 + generation)}
    if service % 10 == 0 and generation % 2 == 1:
        del fields["f1"]
    schema = {"type": "object", "properties": {"id": {"type": "string"}, **fields}}
    ok = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"svc{service}", "version": f"{generation}.0.0"},
        "paths": {f"/svc{service}/items/{{id}}": {"get": {"responses": {"200": ok}}}},
    }


def light(consumer: int, provider: int) -> dict[str, Any]:
    return {
        "consumer": f"svc{consumer}", "provider": f"svc{provider}", "api": f"svc{provider}",
        "uses": [{"operation": f"GET /svc{provider}/items/{{id}}", "fields": ["id", "f1"]}],
    }  # fmt: skip


def load(db: kernel_db.Database, services: int, versions: int, rng: random.Random) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.transaction() as session:
        digests = {
            (s, g): store.put_document(session, api_document(s, g))
            for s in range(services)
            for g in range(versions // 10 + 1)
        }
        session.execute(
            sa.insert(store.ApiVersionRow),
            [
                {"service": f"svc{s}", "api": None, "version": f"1.{v}.0",
                 "digest": digests[(s, v // 10)], "created_at": now}
                for s in range(services)
                for v in range(versions)
            ],
        )  # fmt: skip
        providers = {
            s: rng.sample([p for p in range(services) if p != s], 2) for s in range(services)
        }
        contract_digests = {
            (s, p): store.put_document(session, light(s, p))
            for s, ps in providers.items()
            for p in ps
        }
        session.execute(
            sa.insert(store.ContractRow),
            [
                {"consumer": f"svc{s}", "consumer_version": f"1.{v}.0", "provider": f"svc{p}",
                 "kind": "light", "digest": contract_digests[(s, p)], "created_at": now}
                for s in range(services)
                for v in range(versions)
                for p in providers[s]
            ],
        )  # fmt: skip
        session.execute(sa.insert(store.DeploymentRow), _deployments(services, versions, rng, now))


def _deployments(
    services: int, versions: int, rng: random.Random, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for env in ENVIRONMENTS:
        for s in range(services):
            deployed = [(rng.randrange(versions // 2, versions), "deployment")]
            releases = [(old, "release") for old in rng.sample(range(versions // 2), 2)]
            for version, kind in deployed + releases:
                rows.append({"service": f"svc{s}", "environment": env, "version": f"1.{version}.0", "kind": kind, "active": True, "started_at": now, "ended_at": None})  # fmt: skip
    return rows


def queries(count: int, services: int, versions: int, rng: random.Random) -> list[tuple[str, str, str]]:  # fmt: skip
    """(service, version, environment); one in ten names a version nobody recorded."""
    asked = []
    for _ in range(count):
        service, env = f"svc{rng.randrange(services)}", rng.choice(ENVIRONMENTS)
        unknown = rng.random() < 0.1
        version = f"9.{rng.randrange(versions)}.0" if unknown else f"1.{rng.randrange(versions)}.0"
        asked.append((service, version, env))
    return asked


def percentiles(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1], 2)}  # fmt: skip


def run_pass(
    contracts: ContractService, asked: list[tuple[str, str, str]]
) -> tuple[list[float], dict[str, list[float]]]:
    latencies: list[float] = []
    by_verdict: dict[str, list[float]] = {v: [] for v in VERDICTS.values()}
    for service, version, env in asked:
        t0 = time.perf_counter()
        answer = contracts.can_i_deploy(service, version, env)
        elapsed = (time.perf_counter() - t0) * 1000
        latencies.append(elapsed)
        by_verdict[VERDICTS[answer.deployable]].append(elapsed)
    return latencies, by_verdict


def machine_info(load_before: list[float]) -> dict[str, Any]:
    return harness.machine(load_before, extra=("sqlalchemy",)) | {
        "load_average_1m": harness.load_average()[0]
    }


def measure(services: int, versions: int, count: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    load_before = harness.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        db = kernel_db.Database.from_url(f"sqlite:///{tmp}/bench.db")
        kernel_db.upgrade(db.engine)
        started = time.perf_counter()
        load(db, services, versions, rng)
        load_seconds = time.perf_counter() - started
        clock, bus = FixedClock(), EventBus()
        audit = AuditLog(db=db, clock=clock)
        catalog = CatalogService(db=db, audit=audit, clock=clock, bus=bus)
        contracts = ContractService(db=db, audit=audit, clock=clock, bus=bus, catalog=catalog)
        asked = queries(count, services, versions, rng)
        cold, cold_by = run_pass(contracts, asked)
        warm, warm_by = run_pass(contracts, asked)
        db.engine.dispose()
    return {
        "services": services, "versions": versions, "environments": len(ENVIRONMENTS),
        "queries": count, "load_seconds": round(load_seconds, 2),
        "cold": {**percentiles(cold), "by_verdict": {k: percentiles(v) for k, v in cold_by.items()}},
        "warm": {**percentiles(warm), "by_verdict": {k: percentiles(v) for k, v in warm_by.items()}},
        "all": percentiles(cold + warm), "target_p99_ms": TARGET_P99_MS,
        "machine": machine_info(load_before),
    }  # fmt: skip


def render(result: dict[str, Any]) -> str:
    lines = [f"{'pass':<6}{'verdict':<9}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"]
    for name in ("cold", "warm"):
        rows = [("all", result[name]), *result[name]["by_verdict"].items()]
        for verdict, stats in rows:
            if stats["n"]:
                lines.append(f"{name:<6}{verdict:<9}{stats['n']:>6}{stats['p50_ms']:>10}{stats['p95_ms']:>10}{stats['p99_ms']:>10}")  # fmt: skip
    overall = result["all"]
    lines.append(f"all queries p99 {overall['p99_ms']} ms (target < {TARGET_P99_MS:g} ms); "
                 f"load {result['load_seconds']} s; machine {result['machine']}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="20 services x 20 versions")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.services, args.versions, args.queries = 20, 20, 40
    result = measure(args.services, args.versions, args.queries)
    print(render(result))
    harness.write_result(args.out, result)
    return result


if __name__ == "__main__":
    main()
