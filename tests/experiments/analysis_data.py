"""Generated experiment data for the analysis tests and the shipped example (seeded, reproducible).

Each unit has a pre-exposure spend that predicts its spend after exposure (so CUPED helps), page
views, purchases and errors; ``lift`` scales the treatment's purchase probability and spend,
``error_lift`` its error rate.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

START = datetime(2026, 1, 5, tzinfo=UTC)

METRICS_YAML = """\
metrics:
  - key: conversion
    kind: proportion
    event: purchase
  - key: revenue
    event: purchase
    aggregation: sum
  - key: revenue-per-view
    kind: ratio
    numerator: {event: purchase, aggregation: sum}
    denominator: {event: page_view, aggregation: count}
  - key: errors
    event: error
    direction: decrease
    guardrail: true
"""


@dataclass(frozen=True)
class Plan:
    units: int = 600
    lift: float = 0.0
    error_lift: float = 0.0
    treatment_share: float = 0.5
    experiment: str = "checkout-redesign"
    seed: int = 7


Exposure = tuple[str, str, str, datetime]
Event = tuple[str, str, float | None, datetime]


def generate(plan: Plan) -> tuple[list[Exposure], list[Event]]:
    rng = np.random.default_rng(plan.seed)
    exposures: list[Exposure] = []
    events: list[Event] = []
    for i in range(plan.units):
        unit = f"user-{i}"
        treated = rng.random() < plan.treatment_share
        variant = "treatment" if treated else "control"
        seen = START + timedelta(minutes=7 * i)
        exposures.append((unit, plan.experiment, variant, seen))
        events.extend(_unit_events(rng, unit, seen, treated, plan))
    return exposures, events


def _unit_events(
    rng: np.random.Generator, unit: str, seen: datetime, treated: bool, plan: Plan
) -> Iterator[Event]:
    habit = float(rng.gamma(2.0, 10.0))  # how much this unit spends, before and after
    yield (unit, "purchase", round(habit, 2), seen - timedelta(days=3))
    boost = 1 + plan.lift if treated else 1.0
    for k in range(int(rng.integers(1, 6))):
        yield (unit, "page_view", None, seen + timedelta(minutes=k + 1))
    if rng.random() < min(0.9, 0.3 * boost):
        spend = max(0.0, habit * boost + float(rng.normal(0, 4)))
        yield (unit, "purchase", round(spend, 2), seen + timedelta(hours=2))
    error_rate = 0.2 * (1 + plan.error_lift if treated else 1.0)
    for _ in range(int(rng.poisson(error_rate))):
        yield (unit, "error", None, seen + timedelta(minutes=30))


def write_duckdb(path: Path, plan: Plan) -> Path:
    """The embedded store's layout (tables ``exposures`` and ``events``), only the columns read."""
    exposures, events = generate(plan)
    exposure_table = _arrow(exposures, ("unit", "experiment", "variant", "timestamp"))
    event_table = _arrow(events, ("unit", "event", "value", "timestamp"))
    con = duckdb.connect(str(path))
    con.register("exposure_rows", exposure_table)
    con.register("event_rows", event_table)
    con.execute("CREATE TABLE exposures AS SELECT * FROM exposure_rows")
    con.execute("CREATE TABLE events AS SELECT * FROM event_rows")
    con.close()
    return path


def _arrow(rows: list[Exposure] | list[Event], names: tuple[str, ...]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pa.table({name: list(column) for name, column in zip(names, columns, strict=True)})


def write_csv(directory: Path, plan: Plan) -> tuple[Path, Path]:
    """Warehouse-style files with their own column names (mapped in the config)."""
    exposures, events = generate(plan)
    exposure_file, event_file = directory / "assignments.csv", directory / "events.csv"
    with exposure_file.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "test_name", "arm", "assigned_at"])
        writer.writerows((u, e, v, t.isoformat()) for u, e, v, t in exposures)
    with event_file.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "name", "amount", "occurred_at"])
        writer.writerows((u, n, "" if v is None else v, t.isoformat()) for u, n, v, t in events)
    return exposure_file, event_file
