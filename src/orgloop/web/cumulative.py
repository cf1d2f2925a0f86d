"""The cumulative lift of an experiment's primary metric over time, for a line chart.

``ExperimentService`` keeps no time series: the series is the analysis repeated with ``until`` at
daily cut-offs since the start (or since the first exposure, when exposures recorded with the time
they happened predate it) (at most ``MAX_POINTS`` of them, evenly spread over longer
experiments, so a page costs a bounded number of queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from orgloop.experiments.models import Experiment
from orgloop.experiments.service import ExperimentService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import OrgloopError

MAX_POINTS = 14


def cutoffs(start: datetime, end: datetime, *, max_points: int = MAX_POINTS) -> list[datetime]:
    """A cut-off at the end of each day since ``start`` up to ``end`` (always included)."""
    if end <= start:
        return [end]
    days = []
    day = start + timedelta(days=1)
    while day < end:
        days.append(day)
        day += timedelta(days=1)
    days.append(end)
    if len(days) <= max_points:
        return days
    step = (len(days) - 1) / (max_points - 1)
    return [days[round(i * step)] for i in range(max_points)]


def primary_row(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first treatment's row of the first primary metric that has a lift and an interval."""
    for row in (report or {}).get("rows", []):
        if row["role"] == "primary" and None not in (row["lift"], row["lift_ci_low"]):
            return dict(row)
    return None


def series(
    experiments: ExperimentService,
    experiment: Experiment,
    *,
    actor: Principal,
    report: dict[str, Any] | None,
) -> dict[str, Any]:
    if experiment.started_at is None:
        return _points([])  # not started: nothing to draw yet
    start = _aware(experiment.started_at)
    first = experiments.first_exposure(experiment.key)
    if first is not None and first < start:
        start = first  # exposures recorded with the time they happened predate the start
    end = _aware(experiment.stopped_at) if experiment.stopped_at else _now(report)
    reports = []
    for cut in cutoffs(start, end):
        try:
            reports.append((cut, experiments.analyse(experiment.key, actor=actor, until=cut)))
        except OrgloopError:
            continue  # too early for any data: the day is left out
    return _points(reports)


def _points(reports: Sequence[tuple[datetime, dict[str, Any]]]) -> dict[str, Any]:
    points, metric = [], None
    for at, report in reports:
        row = primary_row(report)
        if row is None:
            continue
        metric = metric or f"{row['metric']} ({row['variant']})"
        points.append({
            "at": at.date().isoformat(), "lift": row["lift"],
            "low": row["lift_ci_low"], "high": row["lift_ci_high"],
        })  # fmt: skip
    return {"source": "daily", "metric": metric, "points": points}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _now(report: dict[str, Any] | None) -> datetime:
    computed = _parse(str((report or {}).get("computed_at", "")))
    return computed or datetime.now(UTC)


def _parse(text: str) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None
