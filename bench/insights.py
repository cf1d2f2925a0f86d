"""Insights reports on a large synthetic organisation: every report under 2 s.

2,000 services owned by 300 teams (about 3,000 people with roles, 60 organisational units),
about 6,000 declared calls, 1,500 APIs, 200 databases, and one year of deployments of all 2,000
services (each deploys on about half of the working days; 30 planted cross-team pairs deploy
together), 5,000 experiments. Each report is timed from the catalog's descriptors (as the
service reads them) to its wire model: conway, monolith (lockstep over the whole year, cycles,
chains, unversioned APIs, shared persistence), teams, velocity, and a what-if moving 100
services and merging 10 pairs of teams with a simulation of a year of work. Best of
``--repeat`` runs; writes bench/results/insights.json.

    .venv/bin/python -m bench.insights [--services 2000] [--teams 300] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness
from orgloop.insights import reports
from orgloop.insights.lockstep import Deploy
from orgloop.insights.models import Thresholds, WhatIfReport
from orgloop.insights.monolith import signals
from orgloop.insights.org import org_from_descriptors
from orgloop.insights.velocity import Run, velocity
from orgloop.insights.whatif import what_if

RESULTS = Path(__file__).resolve().parent / "results" / "insights.json"
TARGET_SECONDS = 2.0
YEAR_START = datetime(2025, 1, 6, tzinfo=UTC)
ROLES = ("backend", "frontend", "database", "design", "security", "operations")


def _entity(kind: str, name: str, spec: dict[str, Any], **annotations: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}


def organisation(services: int, teams: int, seed: int = 1) -> list[dict[str, Any]]:
    """The catalog as descriptors: teams in units of five, people with roles, services in
    capabilities, calls mostly inside a capability, some APIs, databases and interactions."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    team_names = [f"team-{i}" for i in range(teams)]
    for u in range(0, teams, 5):
        docs.append(
            _entity(
                "Group", f"unit-{u // 5}", {"type": "department", "children": team_names[u : u + 5]}
            )
        )
    person = 0
    for i, team in enumerate(team_names):
        people = [f"p{person + k}" for k in range(rng.randint(5, 15))]
        person += len(people)
        partners = rng.sample(team_names, 3)
        interactions = ", ".join(f"{p}: collaboration" for p in partners if p != team)
        docs.append(
            _entity(
                "Group",
                team,
                {"type": "team", "children": [], "members": people},
                **{"insights.orgloop.dev/interactions": interactions},
            )
        )
        for p in people:
            roles = ", ".join(rng.sample(ROLES, rng.randint(1, 2)))
            docs.append(
                _entity("User", p, {"memberOf": []}, **{"insights.orgloop.dev/roles": roles})
            )
        del i
    names = [f"svc-{i}" for i in range(services)]
    owner = {s: team_names[i % teams] for i, s in enumerate(names)}
    for i, s in enumerate(names):
        capability = f"cap-{i // 8}"
        near = [names[j] for j in range(max(0, i - 8), min(services, i + 8)) if j != i]
        depends = [*rng.sample(near, 2), rng.choice(names)]
        spec: dict[str, Any] = {
            "type": "website" if i % 7 == 0 else "service",
            "lifecycle": "production",
            "owner": team_names[i % teams],
            "system": capability,
            "dependsOn": [f"component:{d}" for d in depends if d != s],
        }
        if i % 4 < 3:
            spec["providesApis"] = [f"{s}-api"]
        if i % 10 == 0:
            spec["dependsOn"].append(f"resource:db-{i % 200}")
        if i > 4:
            spec["consumesApis"] = [f"{names[j]}-api" for j in rng.sample(range(i), 1) if j % 4 < 3]
        docs.append(_entity("Component", s, spec))
        if i % 4 < 3:
            path = "/v1/items" if i % 5 else "/items"
            definition = (
                f"openapi: 3.0.0\ninfo: {{title: {s}, version: '1'}}\npaths:\n  {path}: {{}}\n"
            )
            docs.append(
                _entity(
                    "API",
                    f"{s}-api",
                    {
                        "type": "openapi",
                        "lifecycle": "production",
                        "owner": owner[s],
                        "definition": definition,
                    },
                )
            )
    for d in range(200):
        docs.append(
            _entity("Resource", f"db-{d}", {"type": "database", "owner": team_names[d % teams]})
        )
    return docs


def deployments(services: int, teams: int, seed: int = 2) -> list[Deploy]:
    """A year: each service deploys on about half of the 250 working days, at a random hour;
    30 planted pairs of services of different teams deploy in the same hour, every other day."""
    rng = random.Random(seed)
    found = []
    days = [YEAR_START + timedelta(days=d) for d in range(365) if d % 7 < 5]
    for i in range(services):
        for day in days:
            if rng.random() < 0.5:
                found.append(Deploy(f"svc-{i}", day + timedelta(hours=rng.uniform(8, 18))))
    for k in range(30):
        a, b = f"svc-{k * 7}", f"svc-{k * 7 + 1 + teams}"
        for day in days[k // 24 :: 2]:  # each pair in an hour of its own
            at = day + timedelta(hours=k % 24, minutes=10)
            found += [Deploy(a, at), Deploy(b, at + timedelta(minutes=5))]
    return found


def experiments(teams: int, n: int = 5000, seed: int = 3) -> list[Run]:
    rng = random.Random(seed)
    runs = []
    for _ in range(n):
        started = YEAR_START + timedelta(days=rng.uniform(0, 330))
        decided = started + timedelta(days=rng.uniform(3, 40)) if rng.random() < 0.8 else None
        decision = rng.choice(("ship", "kill", "iterate")) if decided else None
        runs.append(Run(f"team-{rng.randrange(teams)}", started, decided, decision))
    return runs


def scenario(services: int, teams: int) -> dict[str, Any]:
    moves = [
        {"move_service": f"svc-{i * 13 % services}", "to": f"team-{i % teams}"} for i in range(100)
    ]
    merges = [
        {"merge": [f"team-{2 * k}", f"team-{2 * k + 1}"], "into": f"merged-{k}"} for k in range(10)
    ]
    stages = [
        {"service": f"svc-{(i * 37 + j) % services}", "days": 1.0}
        for i in range(20)
        for j in range(3)
    ]
    items = [{"name": f"item-{i}", "stages": stages[3 * i : 3 * i + 3]} for i in range(20)]
    simulation = {"arrival_per_day": 4, "days": 250, "handoff_days": 2, "seed": 1, "items": items}
    return {"name": "bench", "changes": [*moves, *merges], "simulation": simulation}


def best_of(repeat: int, run: Callable[[], Any]) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "seconds": round(min(walls), 3),
        "cpu_seconds": round(min(cpus), 3),
        "worst_seconds": round(max(walls), 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.insights", description=__doc__)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="120 services, 20 teams, 1 run.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.services, args.teams, args.repeat = 120, 20, 1
    load_before = harness.load_average()
    docs = organisation(args.services, args.teams)
    deploys = deployments(args.services, args.teams)
    runs = experiments(args.teams)
    body = scenario(args.services, args.teams)
    thresholds = Thresholds()

    def monolith() -> Any:
        org = org_from_descriptors(docs)
        found = signals(org, deploys, thresholds=thresholds)
        return reports.monolith_report(
            found, source="declared", deploys=len(deploys), thresholds=thresholds
        )

    cases: dict[str, Callable[[], Any]] = {
        "conway": lambda: reports.conway_report(org_from_descriptors(docs), source="declared"),
        "monolith": monolith,
        "teams": lambda: reports.team_shape_report(org_from_descriptors(docs)),
        "velocity": lambda: reports.velocity_report(velocity(runs), since=None),
        "whatif": lambda: WhatIfReport.model_validate(
            what_if(org_from_descriptors(docs), body, deploys)
        ),
    }
    timings = {name: best_of(args.repeat, run) for name, run in cases.items()}
    sample = monolith()
    kinds: dict[str, int] = {}
    for s in sample.signals:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    org = org_from_descriptors(docs)
    result: dict[str, Any] = {
        "benchmark": "insights",
        "quick": args.quick,
        "size": {
            "services": len(org.owner),
            "teams": len(org.teams),
            "people": len(org.roles),
            "calls": len(org.calls),
            "apis": len(org.apis),
            "deploys": len(deploys),
            "experiments": len(runs),
            "scenario_changes": len(body["changes"]),
        },
        "signals": kinds,
        "target_seconds": TARGET_SECONDS,
        "reports": timings,
        "all_under_target": all(t["seconds"] < TARGET_SECONDS for t in timings.values()),
        "all_cpu_under_target": all(t["cpu_seconds"] < TARGET_SECONDS for t in timings.values()),
        "machine": harness.machine(load_before, extra=("numpy", "scipy", "networkx", "simpy")),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{'report':<10} {'best s':>8} {'cpu s':>8} {'worst s':>8}   (target < {TARGET_SECONDS} s)"
    )
    for name, t in timings.items():
        print(
            f"{name:<10} {t['seconds']:>8.3f} {t['cpu_seconds']:>8.3f} {t['worst_seconds']:>8.3f}"
        )
    print(f"size: {result['size']}; signals: {kinds}")
    return result


if __name__ == "__main__":
    main()
