"""A small synthetic experiment and a plain-Python reference of its per-unit metric values."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Data:
    exposures: dict[str, list[Any]] = field(
        default_factory=lambda: {"unit": [], "timestamp": [], "experiment": [], "variant": []}
    )
    events: dict[str, list[Any]] = field(
        default_factory=lambda: {"unit": [], "timestamp": [], "event": [], "value": []}
    )

    def expose(self, unit: str, variant: str, at: datetime, experiment: str = "checkout") -> None:
        for key, value in zip(self.exposures, (unit, at, experiment, variant), strict=True):
            self.exposures[key].append(value)

    def track(self, unit: str, event: str, at: datetime, value: float | None) -> None:
        for key, item in zip(self.events, (unit, at, event, value), strict=True):
            self.events[key].append(item)


def experiment(units: int = 300, seed: int = 7) -> Data:
    """Units in two variants, events before and after exposure, one unit in both variants."""
    rnd = random.Random(seed)
    data = Data()
    for i in range(units):
        unit, variant = f"user-{i}", ("control", "treatment")[i % 2]
        first = START + timedelta(minutes=rnd.randrange(0, 10_000))
        data.expose(unit, variant, first)
        data.expose(unit, variant, first + timedelta(hours=2))  # a repeat exposure
        for _ in range(rnd.randrange(0, 6)):
            at = first + timedelta(minutes=rnd.randrange(-30_000, 30_000))
            value = None if rnd.random() < 0.1 else round(rnd.expovariate(1 / 40), 3)
            data.track(unit, rnd.choice(["purchase", "visit"]), at, value)
    data.expose("user-0", "treatment", START + timedelta(days=30))
    data.expose("other-0", "control", START, experiment="another")
    return data


def per_unit(
    data: Data, *, event: str, aggregation: str, start_h: float, end_h: float | None
) -> dict[str, tuple[str, float]]:
    """unit -> (variant, value) the way the metric definitions describe it."""
    first: dict[str, datetime] = {}
    variants: dict[str, set[str]] = {}
    rows = zip(*data.exposures.values(), strict=True)
    for unit, at, exp, variant in rows:
        if exp != "checkout":
            continue
        first[unit] = min(first.get(unit, at), at)
        variants.setdefault(unit, set()).add(variant)
    out: dict[str, tuple[str, float]] = {}
    for unit, seen in variants.items():
        if len(seen) > 1:
            continue
        lo = first[unit] + timedelta(hours=start_h)
        hi = first[unit] + timedelta(hours=end_h) if end_h is not None else None
        values = [
            v
            for u, at, e, v in zip(*data.events.values(), strict=True)
            if u == unit and e == event and at >= lo and (hi is None or at < hi)
        ]
        if aggregation == "count":
            result = float(len(values))
        elif aggregation == "any":
            result = 1.0 if values else 0.0
        elif aggregation == "sum":
            result = float(sum(v for v in values if v is not None))
        else:
            result = max((v for v in values if v is not None), default=0.0)
        out[unit] = (next(iter(seen)), result)
    return out
