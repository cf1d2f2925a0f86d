"""Learning velocity per team: experiments started and decided, time to decision, and the share
of decisions shipped, killed and inconclusive ('iterate'), month by month. Pure: no IO.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Run:
    """One experiment as velocity needs it."""

    team: str
    started_at: datetime | None
    decided_at: datetime | None
    decision: str | None  # ship, kill or iterate


@dataclass(frozen=True)
class TeamVelocity:
    team: str
    started: int
    decided: int
    median_days_to_decision: float | None
    shipped: float | None
    killed: float | None
    inconclusive: float | None
    months: tuple[tuple[str, int, int], ...]  # (YYYY-MM, started, decided)


def velocity(runs: Iterable[Run], *, since: datetime | None = None) -> list[TeamVelocity]:
    by_team: dict[str, list[Run]] = {}
    for run in runs:
        by_team.setdefault(run.team, []).append(run)
    return [_team(team, rs, since) for team, rs in sorted(by_team.items())]


def _team(team: str, runs: list[Run], since: datetime | None) -> TeamVelocity:
    def after(at: datetime | None) -> bool:
        return at is not None and (since is None or at >= since)

    started = [r for r in runs if after(r.started_at)]
    decided = [r for r in runs if after(r.decided_at) and r.decision]
    days = [
        (r.decided_at - r.started_at).total_seconds() / 86400
        for r in decided
        if r.decided_at and r.started_at
    ]
    months: dict[str, list[int]] = {}
    for r in started:
        assert r.started_at is not None
        months.setdefault(r.started_at.strftime("%Y-%m"), [0, 0])[0] += 1
    for r in decided:
        assert r.decided_at is not None
        months.setdefault(r.decided_at.strftime("%Y-%m"), [0, 0])[1] += 1

    def share(kind: str) -> float | None:
        return sum(r.decision == kind for r in decided) / len(decided) if decided else None

    return TeamVelocity(
        team=team,
        started=len(started),
        decided=len(decided),
        median_days_to_decision=round(statistics.median(days), 2) if days else None,
        shipped=share("ship"),
        killed=share("kill"),
        inconclusive=share("iterate"),
        months=tuple((m, s, d) for m, (s, d) in sorted(months.items())),
    )
