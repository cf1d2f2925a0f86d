"""A discrete-event simulation (SimPy) of work items flowing through teams.

Items arrive as a Poisson process; each is a sequence of stages, each stage is work on a service
and so done by the team that owns it. A team works on as many items at once as its capacity
(by default its head count). Wherever the next stage belongs to another team the item is handed
off and waits ``handoff_days`` before that team even queues it (its planning cadence). Arrivals
and work are drawn once from the seed, so two organisations are compared on the same work. Pure:
no IO, deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy


@dataclass(frozen=True)
class Stage:
    service: str
    days: float  # mean work, in working days


@dataclass(frozen=True)
class ItemType:
    name: str
    stages: tuple[Stage, ...]
    share: float = 1.0


@dataclass(frozen=True)
class SimConfig:
    items: tuple[ItemType, ...]
    arrival_per_day: float = 1.0
    days: int = 250
    handoff_days: float = 2.0
    seed: int = 1
    capacity: Mapping[str, int] = field(default_factory=dict)  # team -> parallel items


@dataclass(frozen=True)
class TeamQueue:
    team: str
    capacity: int
    mean_queue: float
    max_queue: int
    utilisation: float


@dataclass(frozen=True)
class SimResult:
    items: int
    mean_flow_days: float
    p85_flow_days: float
    mean_active_days: float
    mean_waiting_days: float
    flow_efficiency: float
    handoffs_per_item: float
    teams: tuple[TeamQueue, ...]


@dataclass
class _Work:
    arrival: float
    kind: int
    durations: list[float]


def draw(config: SimConfig) -> list[_Work]:
    """The work of the whole run, independent of who does it."""
    rng = np.random.default_rng(config.seed)
    shares = np.array([t.share for t in config.items], dtype=float)
    shares = shares / shares.sum()
    work: list[_Work] = []
    at = float(rng.exponential(1.0 / config.arrival_per_day))
    while at < config.days:
        kind = int(rng.choice(len(config.items), p=shares))
        stages = config.items[kind].stages
        work.append(_Work(at, kind, [float(rng.exponential(s.days)) for s in stages]))
        at += float(rng.exponential(1.0 / config.arrival_per_day))
    return work


def simulate(
    owner: Mapping[str, str], config: SimConfig, *, headcount: Mapping[str, int] | None = None
) -> SimResult:
    """Run the work of ``config`` through the organisation ``owner`` (service -> team)."""
    env = simpy.Environment()
    teams = sorted({owner[s.service] for t in config.items for s in t.stages})
    capacity = {
        t: max(1, int(config.capacity.get(t) or (headcount or {}).get(t) or 1)) for t in teams
    }
    desks = {t: simpy.Resource(env, capacity=capacity[t]) for t in teams}
    busy = dict.fromkeys(teams, 0.0)
    flows: list[tuple[float, float, int]] = []  # (flow, active, hand-offs)
    samples: dict[str, list[int]] = {t: [] for t in teams}

    def item(work: _Work) -> Generator[Any, Any, None]:
        yield env.timeout(work.arrival)
        start, active, handoffs, previous = env.now, 0.0, 0, None
        for stage, days in zip(config.items[work.kind].stages, work.durations, strict=True):
            team = owner[stage.service]
            if previous is not None and team != previous:
                handoffs += 1
                yield env.timeout(config.handoff_days)
            with desks[team].request() as turn:
                yield turn
                yield env.timeout(days)
            active += days
            busy[team] += days
            previous = team
        flows.append((env.now - start, active, handoffs))

    def sampler() -> Generator[Any, Any, None]:
        while True:
            for t in teams:
                samples[t].append(len(desks[t].queue))
            yield env.timeout(1.0)

    work = draw(config)
    for w in work:
        env.process(item(w))
    env.process(sampler())
    while len(flows) < len(work):
        env.step()
    return _result(flows, samples, busy, capacity, env.now)


def _result(
    flows: list[tuple[float, float, int]],
    samples: dict[str, list[int]],
    busy: dict[str, float],
    capacity: dict[str, int],
    horizon: float,
) -> SimResult:
    flow = np.array([f for f, _, _ in flows]) if flows else np.zeros(1)
    active = np.array([a for _, a, _ in flows]) if flows else np.zeros(1)
    handoffs = np.array([h for _, _, h in flows]) if flows else np.zeros(1)
    return SimResult(
        items=len(flows),
        mean_flow_days=round(float(flow.mean()), 2),
        p85_flow_days=round(float(np.percentile(flow, 85)), 2),
        mean_active_days=round(float(active.mean()), 2),
        mean_waiting_days=round(float((flow - active).mean()), 2),
        flow_efficiency=round(float(active.sum() / flow.sum()), 3) if flow.sum() else 0.0,
        handoffs_per_item=round(float(handoffs.mean()), 2),
        teams=tuple(
            TeamQueue(
                team=t,
                capacity=capacity[t],
                mean_queue=round(float(np.mean(samples[t])) if samples[t] else 0.0, 2),
                max_queue=max(samples[t], default=0),
                utilisation=round(busy[t] / (capacity[t] * horizon), 3) if horizon else 0.0,
            )
            for t in sorted(samples)
        ),
    )
