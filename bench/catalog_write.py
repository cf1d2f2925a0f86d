"""One-entity catalog writes in a large catalog, through the service layer (target p99 < 20 ms).

A synthetic organisation of 10,000 entities (an organisation, departments, teams, domains,
systems, services and their APIs, each service providing one API and consuming three) is imported
into a temporary SQLite database with ``CatalogService.import_catalog``. Then rounds of three
writes are timed, each through the service as the API calls it: create a new service
(``put_entity``), update an existing one (new consumed APIs and lifecycle), delete the new one
(``delete_entity``). After the writes, the stored relations are compared with the relations
derived from the whole catalog, so a fast write that forgets a relation fails the run. A loop
of 4 ms of CPU is timed too: its wall-clock time shows how much the machine's load stretches
every figure (on a shared machine, more than the writes' own cost).

Prints p50/p95/p99 per operation (wall clock, and CPU time for all writes) and writes
bench/results/catalog_write.json. The file keeps one run per label: ``--label before`` records a
baseline measured on earlier code, which later runs (label ``after``; ``quick`` for a smoke run)
keep beside their own figures.

    .venv/bin/python -m bench.catalog_write [--entities 10000] [--rounds 100] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import harness
from orgloop.catalog.descriptors import to_entity
from orgloop.catalog.entities import Source
from orgloop.catalog.models import DescriptorIn, ImportRequest
from orgloop.catalog.relations import derive_relations
from orgloop.catalog.service import CatalogService
from orgloop.kernel import db as kernel_db
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import FixedClock

RESULTS = Path(__file__).resolve().parent / "results" / "catalog_write.json"
TARGET_P99_MS = 20.0
OPERATIONS = ("create", "update", "delete")
API_VERSION = "backstage.io/v1alpha1"


def _doc(kind: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, **metadata},
        "spec": spec,
    }


def organisation(entities: int, rng: random.Random) -> list[dict[str, Any]]:
    """``entities`` descriptors: per 25 entities one team, per 50 one system, the rest split
    between services and the APIs they provide; every reference resolves."""
    teams = max(entities // 25, 2)
    departments = max(teams // 40, 1)
    domains = max(entities // 500, 1)
    systems = max(entities // 50, 1)
    services = (entities - 1 - departments - teams - domains - systems) // 2
    apis = entities - 1 - departments - teams - domains - systems - services
    docs = [_doc("Group", "org", {"type": "organization", "children": []})]
    docs += [
        _doc("Group", f"dept-{d}", {"type": "department", "parent": "org", "children": []})
        for d in range(departments)
    ]
    docs += [
        _doc(
            "Group",
            f"team-{t}",
            {"type": "team", "parent": f"dept-{t % departments}", "children": []},
            annotations={"orgloop.dev/team-type": "stream-aligned"},
        )
        for t in range(teams)
    ]
    docs += [_doc("Domain", f"domain-{d}", {"owner": f"team-{d % teams}"}) for d in range(domains)]
    docs += [
        _doc(
            "System",
            f"system-{s}",
            {"owner": f"team-{s % teams}", "domain": f"domain-{s % domains}"},
        )
        for s in range(systems)
    ]
    docs += [
        _doc(
            "API",
            f"api-{a}",
            {
                "type": "openapi",
                "lifecycle": "production",
                "owner": f"team-{a % teams}",
                "system": f"system-{a % systems}",
                "definition": {"$text": f"./api-{a}.yaml"},
            },
        )
        for a in range(apis)
    ]
    docs += [service(f"svc-{s}", s % teams, s % systems, s, apis, rng) for s in range(services)]
    assert len(docs) == entities
    return docs


def service(
    name: str, team: int, system: int, provides: int | None, apis: int, rng: random.Random
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "service",
        "lifecycle": "production",
        "owner": f"team-{team}",
        "system": f"system-{system}",
        "consumesApis": [f"api-{a}" for a in sorted(rng.sample(range(apis), 3))],
    }
    if provides is not None and provides < apis:
        spec["providesApis"] = [f"api-{provides}"]
    return _doc("Component", name, spec, annotations={"orgloop.dev/service-name": name})


def percentiles(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
    }


def _timed(call: Any, *args: Any, **kwargs: Any) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one call (CPU time: the machine may be shared)."""
    started, cpu = time.perf_counter(), time.process_time()
    call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def write_rounds(
    catalog: CatalogService, docs: list[dict[str, Any]], rounds: int, rng: random.Random
) -> dict[str, list[tuple[float, float]]]:
    teams = sum(1 for d in docs if d["spec"].get("type") == "team")
    systems = sum(1 for d in docs if d["kind"] == "System")
    apis = sum(1 for d in docs if d["kind"] == "API")
    existing = [d["metadata"]["name"] for d in docs if d["kind"] == "Component"]
    times: dict[str, list[tuple[float, float]]] = {op: [] for op in OPERATIONS}
    for i in range(rounds):
        new = service(f"new-{i}", rng.randrange(teams), rng.randrange(systems), None, apis, rng)
        times["create"].append(
            _timed(catalog.put_entity, DescriptorIn(descriptor=new), actor=SYSTEM)
        )
        name = rng.choice(existing)
        changed = service(name, rng.randrange(teams), rng.randrange(systems), None, apis, rng)
        changed["spec"]["lifecycle"] = rng.choice(["production", "deprecated", "experimental"])
        number = int(name.rsplit("-", 1)[1])
        if number < apis:
            changed["spec"]["providesApis"] = [f"api-{number}"]
        times["update"].append(
            _timed(catalog.put_entity, DescriptorIn(descriptor=changed), actor=SYSTEM)
        )
        times["delete"].append(
            _timed(catalog.delete_entity, f"component:default/new-{i}", actor=SYSTEM)
        )
    return times


def contention(cpu_ms: float = 4.0, repeat: int = 100) -> dict[str, float | int]:
    """Wall-clock percentiles of a pure-Python loop of ``cpu_ms`` CPU milliseconds, timed right
    after the writes: on an idle core they equal ``cpu_ms``; the excess is the machine's load."""
    walls = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        while (time.process_time() - cpu) * 1000 < cpu_ms:
            pass
        walls.append((time.perf_counter() - started) * 1000)
    return {"cpu_ms": cpu_ms, **percentiles(walls)}


def relations_agree(db: kernel_db.Database, catalog: CatalogService) -> bool:
    """The stored relations are exactly those the whole stored catalog implies."""
    entities = [
        e
        for i, d in enumerate(catalog.export_descriptors())
        if (e := to_entity(d, Source("<catalog>", i), [])) is not None
    ]
    derived = {r.as_tuple() for r in derive_relations(entities)}
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT DISTINCT source_ref, type, target_ref FROM catalog_relations")
        )
        stored = {(s, t, o) for s, t, o in rows}
    return stored == derived


def measure(entities: int, rounds: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    load_before = harness.load_average()
    docs = organisation(entities, rng)
    with tempfile.TemporaryDirectory() as tmp:
        db = kernel_db.Database.from_url(f"sqlite:///{tmp}/bench.db")
        kernel_db.upgrade(db.engine)
        clock, bus = FixedClock(), EventBus()
        catalog = CatalogService(db=db, audit=AuditLog(db=db, clock=clock), clock=clock, bus=bus)
        request = ImportRequest(entities=[DescriptorIn(descriptor=d) for d in docs])
        import_ms, _ = _timed(catalog.import_catalog, request, actor=SYSTEM)
        # The set-up's objects (10,000 descriptors twice over) are long-lived: moved out of the
        # collector's sight, as a server's start-up objects would be, so its full collections
        # time the writes' garbage, not the benchmark's own data.
        gc.collect()
        gc.freeze()
        try:
            times = write_rounds(catalog, docs, rounds, rng)
        finally:
            gc.unfreeze()
        busy = contention()
        agree = relations_agree(db, catalog)
        db.engine.dispose()
    times["all"] = [t for op in OPERATIONS for t in times[op]]
    return {
        "entities": entities,
        "rounds": rounds,
        "writes": len(times["all"]),
        "import_seconds": round(import_ms / 1000, 2),
        **{op: percentiles([wall for wall, _ in times[op]]) for op in times},
        "cpu": {op: percentiles([cpu for _, cpu in times[op]]) for op in times},
        "relations_agree": agree,
        "contention": busy,
        "target_p99_ms": TARGET_P99_MS,
        "machine": harness.machine(load_before, extra=("sqlalchemy",)),
    }


def render(label: str, result: dict[str, Any]) -> str:
    lines = [
        f"{label}: {result['entities']:,} entities, import {result['import_seconds']} s",
        f"{'write':<8}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for op in (*OPERATIONS, "all"):
        s = result[op]
        lines.append(
            f"{op:<8}{s['n']:>6}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['p99_ms']:>10}{s['max_ms']:>10}"
        )
    cpu = result["cpu"]["all"]
    lines.append(
        f"{'all CPU':<8}{cpu['n']:>6}{cpu['p50_ms']:>10}{cpu['p95_ms']:>10}{cpu['p99_ms']:>10}{cpu['max_ms']:>10}"
    )
    busy = result["contention"]
    lines.append(
        f"a loop of {busy['cpu_ms']:g} ms CPU took p50 {busy['p50_ms']} / p99 {busy['p99_ms']} ms "
        "wall clock on this machine meanwhile"
    )
    lines.append(
        f"p99 {result['all']['p99_ms']} ms (target < {TARGET_P99_MS:g} ms); stored "
        f"relations {'agree' if result['relations_agree'] else 'DISAGREE'} with the "
        f"catalog; load average {result['machine']['load_average_before']} before, "
        f"{result['machine']['load_average_after']} after"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100, help="Rounds of create+update+delete.")
    parser.add_argument("--quick", action="store_true", help="300 entities, 10 rounds")
    parser.add_argument(
        "--label", help="Name of this run in the results file (default: after; quick with --quick)."
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.entities, args.rounds = 300, 10
    args.label = args.label or ("quick" if args.quick else "after")
    result = measure(args.entities, args.rounds)
    print(render(args.label, result))
    recorded = json.loads(args.out.read_text()) if args.out.exists() else {}
    recorded[args.label] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
