"""can-i-deploy latency on a large synthetic organisation, through the service layer.

1,000 services x 50 versions x 5 environments, loaded directly through the store into a
temporary SQLite database: every version has an API document and light contracts on two
providers; every environment runs one version of each service and supports two older releases.
Prints p50/p99 over the queries and writes bench/results/can_i_deploy.json.

    .venv/bin/python bench/can_i_deploy.py [--services 1000] [--queries 500]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from orgloop.catalog.service import CatalogService
from orgloop.contracts import store
from orgloop.contracts.service import ContractService
from orgloop.kernel import db as kernel_db
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import FixedClock

ENVIRONMENTS = ("dev", "test", "staging", "production", "eu-production")
RESULTS = Path(__file__).resolve().parent / "results" / "can_i_deploy.json"


def api_document(service: int, generation: int) -> dict[str, Any]:
    """Each service's API gains one field every ten versions (so documents repeat)."""
    fields = {f"f{i}": {"type": "string"} for i in range(3 + generation)}
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
                {
                    "service": f"svc{s}",
                    "api": None,
                    "version": f"1.{v}.0",
                    "digest": digests[(s, v // 10)],
                    "created_at": now,
                }
                for s in range(services)
                for v in range(versions)
            ],
        )
        providers = {s: rng.sample([p for p in range(services) if p != s], 2) for s in range(services)}  # fmt: skip
        contract_digests = {(s, p): store.put_document(session, light(s, p)) for s, ps in providers.items() for p in ps}  # fmt: skip
        session.execute(
            sa.insert(store.ContractRow),
            [
                {
                    "consumer": f"svc{s}",
                    "consumer_version": f"1.{v}.0",
                    "provider": f"svc{p}",
                    "kind": "light",
                    "digest": contract_digests[(s, p)],
                    "created_at": now,
                }
                for s in range(services)
                for v in range(versions)
                for p in providers[s]
            ],
        )
        rows = []
        for env in ENVIRONMENTS:
            for s in range(services):
                deployed = rng.randrange(versions // 2, versions)
                rows.append({"service": f"svc{s}", "environment": env, "version": f"1.{deployed}.0", "kind": "deployment", "active": True, "started_at": now, "ended_at": None})  # fmt: skip
                for old in rng.sample(range(versions // 2), 2):
                    rows.append({"service": f"svc{s}", "environment": env, "version": f"1.{old}.0", "kind": "release", "active": True, "started_at": now, "ended_at": None})  # fmt: skip
        session.execute(sa.insert(store.DeploymentRow), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = kernel_db.Database.from_url(f"sqlite:///{tmp}/bench.db")
        kernel_db.upgrade(db.engine)
        started = time.perf_counter()
        load(db, args.services, args.versions, rng)
        load_seconds = time.perf_counter() - started
        clock, bus = FixedClock(), EventBus()
        audit = AuditLog(db=db, clock=clock)
        catalog = CatalogService(db=db, audit=audit, clock=clock, bus=bus)
        contracts = ContractService(db=db, audit=audit, clock=clock, bus=bus, catalog=catalog)
        latencies, verdicts = [], {"yes": 0, "no": 0, "unknown": 0}
        for _ in range(args.queries):
            service, version = rng.randrange(args.services), rng.randrange(args.versions)
            env = rng.choice(ENVIRONMENTS)
            t0 = time.perf_counter()
            answer = contracts.can_i_deploy(f"svc{service}", f"1.{version}.0", env)
            latencies.append((time.perf_counter() - t0) * 1000)
            verdicts[{True: "yes", False: "no", None: "unknown"}[answer.deployable]] += 1
        db.engine.dispose()
    latencies.sort()
    result = {
        "services": args.services, "versions": args.versions, "environments": len(ENVIRONMENTS),
        "queries": args.queries, "load_seconds": round(load_seconds, 2),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
        "max_ms": round(latencies[-1], 2), "verdicts": verdicts, "target_p99_ms": 50,
    }  # fmt: skip
    print(f"{'metric':<16}{'value':>12}")
    for key, value in result.items():
        print(f"{key:<16}{value!s:>12}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
