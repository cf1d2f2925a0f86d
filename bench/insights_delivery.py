"""DORA and flow reports over a year of a large organisation, through the service layer.

2,000 services of 300 teams (50 capabilities), one year of deployments (two a week per service,
each shipping two changes; one in thirty names a change as an incident's root cause) and 200,000
work items with five status transitions each (a third handed to another team and back), stored
in a temporary SQLite database through the slice's own store. Each report is timed three times
(median): DORA by team, by service, one team with weekly trends; flow for all teams and one team
with weeks. Target: every report under 2 s. Writes bench/results/insights_delivery.json.

    .venv/bin/python -m bench.insights_delivery [--services 2000] [--items 200000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness
from orgloop.catalog.models import DescriptorIn, ImportRequest
from orgloop.catalog.service import CatalogService
from orgloop.contracts.service import ContractService
from orgloop.insights.delivery import store
from orgloop.insights.delivery.records import (
    Batch,
    ChangeRecord,
    DeploymentRecord,
    IncidentRecord,
    Located,
    TransitionRecord,
    WorkItemRecord,
)
from orgloop.insights.delivery.service import DeliveryService
from orgloop.kernel import db as kernel_db
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import FixedClock

RESULTS = Path(__file__).resolve().parent / "results" / "insights_delivery.json"
TARGET_S = 2.0
UNTIL = datetime(2025, 1, 1, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=364)
STEPS = (("Backlog", 0), ("In Progress", 1), ("Ready for Review", 0), ("In Review", 1), ("Done", 0))


def _entity(kind: str, name: str, spec: dict[str, Any]) -> DescriptorIn:
    return DescriptorIn(
        descriptor={
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name},
            "spec": spec,
        }
    )


def catalog(services: int, teams: int) -> list[DescriptorIn]:
    systems = max(1, teams // 6)
    return (
        [_entity("Group", f"team-{t}", {"type": "team", "children": []}) for t in range(teams)]
        + [_entity("System", f"cap-{s}", {"owner": f"team-{s % teams}"}) for s in range(systems)]
        + [
            _entity(
                "Component",
                f"svc-{i}",
                {
                    "type": "service",
                    "lifecycle": "production",
                    "owner": f"team-{i % teams}",
                    "system": f"cap-{i % systems}",
                },
            )
            for i in range(services)
        ]
    )


def deliveries(services: int, rng: random.Random) -> Batch:
    batch = Batch(file="bench", source="json")
    seconds = int((UNTIL - SINCE).total_seconds())
    for s in range(services):
        for n in range(104):
            at = SINCE + timedelta(seconds=rng.randrange(seconds))
            ids = [f"c{s}-{n}-{k}" for k in range(2)]
            for change in ids:
                lead = timedelta(hours=rng.expovariate(1 / 20))
                batch.changes.append(
                    Located(
                        "",
                        ChangeRecord.model_construct(
                            change_id=change, service=f"svc-{s}", time_created=at - lead, head=None
                        ),
                    )
                )
            batch.deployments.append(
                Located(
                    "",
                    DeploymentRecord.model_construct(
                        deploy_id=f"d{s}-{n}",
                        service=f"svc-{s}",
                        time_created=at,
                        environment="production",
                        main_commit=None,
                        changes=ids,
                    ),
                )
            )
            if rng.random() < 1 / 30:
                restore = timedelta(hours=rng.expovariate(1 / 6))
                batch.incidents.append(
                    Located(
                        "",
                        IncidentRecord.model_construct(
                            incident_id=f"i{s}-{n}",
                            service=f"svc-{s}",
                            time_created=at,
                            time_resolved=at + restore,
                            root_cause=[ids[0]],
                        ),
                    )
                )
    return batch


def work(items: int, teams: int, rng: random.Random) -> Batch:
    batch = Batch(file="bench", source="jira")
    seconds = int((UNTIL - SINCE).total_seconds()) - 30 * 86400
    systems = max(1, teams // 6)
    for i in range(items):
        team = f"team-{i % teams}"
        other = f"team-{(i + 1) % teams}" if i % 3 == 0 else None
        at = SINCE + timedelta(seconds=rng.randrange(seconds))
        created, transitions = at, []
        for n, (status, active) in enumerate(STEPS):
            holder = other if n == 2 else (team if n == 3 and other else None)
            transitions.append(TransitionRecord.model_construct(status=status, at=at, team=holder))
            at += timedelta(hours=rng.expovariate(1 / (8 if active else 30)))
        batch.work_items.append(
            Located(
                "",
                WorkItemRecord.model_construct(
                    item_id=f"W-{i}",
                    type="Bug" if i % 5 == 0 else "Story",
                    team=team,
                    capability=f"cap-{i % systems}",
                    created=created,
                    introduced_by=None,
                    transitions=transitions,
                ),
            )
        )
    return batch


def timed(call: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (on a shared machine the CPU time is the steadier)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return round(statistics.median(wall), 3), round(statistics.median(cpu), 3)


def measure(services: int, teams: int, items: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = kernel_db.Database.from_url(f"sqlite:///{tmp}/bench.db")
        kernel_db.upgrade(db.engine)
        clock, bus = FixedClock(UNTIL), EventBus()
        audit = AuditLog(db=db, clock=clock)
        cat = CatalogService(db=db, audit=audit, clock=clock, bus=bus)
        contracts = ContractService(db=db, audit=audit, clock=clock, bus=bus, catalog=cat)
        started = time.perf_counter()
        cat.import_catalog(ImportRequest(entities=catalog(services, teams)), actor=SYSTEM)
        batch = deliveries(services, rng)
        batch.work_items = work(items, teams, rng).work_items
        with db.transaction() as session:
            store.save(session, batch)
        load_s = time.perf_counter() - started
        delivery = DeliveryService(db=db, catalog=cat, contracts=contracts, clock=clock)
        reports = {
            "dora_by_team": lambda: delivery.dora(since=SINCE, until=UNTIL),
            "dora_by_service": lambda: delivery.dora(group_by="service", since=SINCE, until=UNTIL),
            "dora_one_team_weekly": lambda: delivery.dora(
                team="team-1", weekly=True, since=SINCE, until=UNTIL
            ),
            "flow_all_teams": lambda: delivery.flow(since=SINCE, until=UNTIL),
            "flow_one_team_weekly": lambda: delivery.flow(
                team="team-1", weekly=True, since=SINCE, until=UNTIL
            ),
        }
        sample = delivery.dora(since=SINCE, until=UNTIL).total
        flow_total = delivery.flow(since=SINCE, until=UNTIL).total
        load = [round(x, 1) for x in os.getloadavg()]  # 1, 5, 15 minutes, as the timing starts
        measured = {name: timed(call) for name, call in reports.items()}
        seconds = {name: wall for name, (wall, _) in measured.items()}
        cpu_seconds = {name: cpu for name, (_, cpu) in measured.items()}
        db.engine.dispose()
    return {
        "services": services,
        "teams": teams,
        "work_items": items,
        "deployments": len(batch.deployments),
        "changes": len(batch.changes),
        "incidents": len(batch.incidents),
        "load_seconds": round(load_s, 1),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "target_seconds": TARGET_S,
        "met": all(s < TARGET_S for s in seconds.values()),
        "check": {
            "deploys_per_week": sample.deploys_per_week,
            "lead_time_median_hours": sample.lead_time_median_hours,
            "change_failure_rate": sample.change_failure_rate,
            "flow_efficiency": flow_total.flow_efficiency,
            "items_completed": flow_total.items_completed,
        },
        "machine": {"python": platform.python_version(), "cores": _cores(), "load": load},
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render(result: dict[str, Any]) -> str:
    lines = [
        f"{result['services']} services, {result['deployments']} deployments, "
        f"{result['changes']} changes, {result['work_items']} work items "
        f"(loaded in {result['load_seconds']} s)"
    ]
    for name, s in result["seconds"].items():
        cpu = result["cpu_seconds"][name]
        verdict = "ok" if s < TARGET_S else "OVER"
        lines.append(f"  {name:<24} {s:>7.3f} s wall {cpu:>7.3f} s CPU  {verdict}")
    lines.append(f"  load average before timing: {result['machine']['load']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=300)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="20 services, 2,000 work items")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.services, args.teams, args.items = 20, 6, 2000
    result = measure(args.services, args.teams, args.items)
    print(render(result))
    harness.write_result(args.out, result)
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
