"""Flow metrics of work items from their status histories, per team and per capability (pure).

A work item's history is a run of intervals (status, holding team, entered, left). Its flow starts
at the first active or waiting status and ends at the first done status; in between each interval
is active (an active status) or waiting (everything else, so a return to the backlog waits too).
Hand-offs are changes of the holding team between consecutive intervals; waiting on another team
is waiting time while a team other than the item's own (its home team) holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from orgloop.insights.delivery import grouped
from orgloop.insights.delivery.grouped import Floats, Ints
from orgloop.insights.delivery.models import FlowMetrics, FlowWeek, StatusClasses

DAY = 86400.0
WEEK = 7 * 86400
BACKLOG, WAITING, ACTIVE, DONE, UNCLASSIFIED = range(5)

DEFAULT_CLASSES = StatusClasses(
    active=[
        "In Progress",
        "In Development",
        "Development",
        "Doing",
        "In Review",
        "Code Review",
        "Review",
        "Testing",
        "In Test",
        "In QA",
        "QA",
        "Deploying",
    ],
    waiting=[
        "Ready",
        "Selected for Development",
        "Ready for Development",
        "Blocked",
        "On Hold",
        "Waiting",
        "Ready for Review",
        "Ready for Test",
        "Ready for QA",
        "Ready for Release",
        "Ready for Deploy",
        "Awaiting Deployment",
    ],
    done=["Done", "Closed", "Resolved", "Released", "Complete", "Completed"],
    backlog=["Backlog", "To Do", "Open", "New", "Triage"],
    unplanned_types=["Bug", "Defect", "Incident", "Problem"],
)


@dataclass(frozen=True)
class FlowFacts:
    """Intervals sorted by (item, entered); items with their home team, capability and type."""

    statuses: list[str]  # names the interval status codes index into
    types: list[str]  # names the item type codes index into
    iv_item: Ints
    iv_status: Ints
    iv_team: Ints
    iv_entered: Ints  # epoch seconds
    iv_left: Ints  # epoch seconds; -1 while the item is still there
    item_team: Ints
    item_capability: Ints  # -1 without a capability
    item_type: Ints
    item_created: Ints
    item_cause_time: Floats  # creation of the introducing change; NaN when unknown


@dataclass(frozen=True)
class FlowResult:
    total: FlowMetrics
    teams: list[FlowMetrics]
    capabilities: list[FlowMetrics]
    team_weeks: list[list[FlowWeek]]
    handoffs: list[tuple[int, int, int]]  # (from team, to team, count)
    unclassified: list[str]


def classify(statuses: list[str], classes: StatusClasses) -> Ints:
    lookup: dict[str, int] = {}
    for code, names in (
        (BACKLOG, classes.backlog),
        (WAITING, classes.waiting),
        (ACTIVE, classes.active),
        (DONE, classes.done),
    ):
        lookup.update({n.strip().lower(): code for n in names})
    return np.array(
        [lookup.get(s.strip().lower(), UNCLASSIFIED) for s in statuses], dtype=np.int64
    ).reshape(-1)


Bools = np.ndarray[tuple[int], np.dtype[np.bool_]]


@dataclass(frozen=True)
class ItemFlow:
    """One row per item done in the window: its own team and capability (codes; capability -1
    when none), flow start and end (epoch seconds) and what its intervals add up to."""

    item: Ints  # the item's position in its source (facts or rows)
    team: Ints
    capability: Ints
    started: Ints
    done: Ints
    active: Floats  # seconds
    waiting: Floats
    waiting_other: Floats
    handoffs: Floats
    unplanned: Bools


@dataclass(frozen=True)
class Defects:
    """Defects opened in the window whose introducing change is known."""

    team: Ints
    capability: Ints
    discovery: Floats  # seconds from the change's creation to the defect's


def item_flow(
    facts: FlowFacts, classes: StatusClasses, *, since: datetime, until: datetime
) -> tuple[ItemFlow, Defects, list[tuple[int, int, int]], list[str]]:
    """Per item, from its intervals: the done items, the defects, the hand-off pairs (from team,
    to team, count) and the statuses no class names. ``store_reads.flow_items`` computes the same
    in SQL; a test holds the two together."""
    start_w, end_w = int(since.timestamp()), int(until.timestamp())
    n_items = len(facts.item_team)
    status_class = classify(facts.statuses, classes)
    cls = status_class[facts.iv_status] if len(facts.iv_status) else facts.iv_status
    left = np.where(facts.iv_left < 0, end_w, facts.iv_left)

    done = _first(facts.iv_item, facts.iv_entered, cls == DONE, n_items)
    started = _first(facts.iv_item, facts.iv_entered, (cls == ACTIVE) | (cls == WAITING), n_items)
    completed = (done >= start_w) & (done < end_w) & (started <= done)

    item = facts.iv_item
    counted = (
        completed[item] & (facts.iv_entered >= started[item]) & (facts.iv_entered < done[item])
    )
    c_item = item[counted]
    c_seconds = (np.minimum(left[counted], done[c_item]) - facts.iv_entered[counted]).astype(float)
    c_active = cls[counted] == ACTIVE
    c_team = facts.iv_team[counted]
    c_other = c_team != facts.item_team[c_item]
    active = np.where(c_active, c_seconds, 0.0)
    waiting = np.where(c_active, 0.0, c_seconds)
    waiting_other = np.where(c_other, waiting, 0.0)

    same_item = c_item[1:] == c_item[:-1]
    moved = same_item & (c_team[1:] != c_team[:-1])
    handoff_item = c_item[1:][moved]
    pairs = np.stack((c_team[:-1][moved], c_team[1:][moved]), axis=1)
    handoffs = (
        [
            (int(a), int(b), int(n))
            for (a, b), n in zip(*np.unique(pairs, axis=0, return_counts=True), strict=True)
        ]
        if len(pairs)
        else []
    )
    unplanned_codes = {t.strip().lower() for t in classes.unplanned_types}
    unplanned_type = np.array([t.strip().lower() in unplanned_codes for t in facts.types], bool)
    unplanned = unplanned_type[facts.item_type] if n_items else np.zeros(0, bool)
    discovery = facts.item_created - facts.item_cause_time
    defects = (
        (facts.item_created >= start_w)
        & (facts.item_created < end_w)
        & ~np.isnan(discovery)
        & (discovery >= 0)
    )
    items = ItemFlow(
        item=np.flatnonzero(completed).astype(np.int64),
        team=facts.item_team[completed],
        capability=facts.item_capability[completed],
        started=started[completed],
        done=done[completed],
        active=grouped.sums(c_item, active, n_items)[completed],
        waiting=grouped.sums(c_item, waiting, n_items)[completed],
        waiting_other=grouped.sums(c_item, waiting_other, n_items)[completed],
        handoffs=grouped.counts(handoff_item, n_items).astype(float)[completed],
        unplanned=unplanned[completed],
    )
    found = Defects(
        team=facts.item_team[defects],
        capability=facts.item_capability[defects],
        discovery=discovery[defects],
    )
    seen = np.unique(facts.iv_status)
    unclassified = sorted(facts.statuses[s] for s in seen if status_class[s] == UNCLASSIFIED)
    return items, found, handoffs, unclassified


def summarise(
    items: ItemFlow,
    defects: Defects,
    *,
    n_teams: int,
    n_capabilities: int,
    since: datetime,
    until: datetime,
    weekly: bool = False,
) -> tuple[FlowMetrics, list[FlowMetrics], list[FlowMetrics], list[list[FlowWeek]]]:
    """Done items and defects per team, per capability and in total (and per team and week)."""
    start_w, end_w = int(since.timestamp()), int(until.timestamp())

    def by(keys: Ints, dkeys: Ints, size: int, mask: Bools, dmask: Bools) -> _Parts:
        k, dk = keys[mask], dkeys[dmask]
        flow_time = (items.done[mask] - items.started[mask]).astype(float)
        return _Parts(
            items=grouped.counts(k, size),
            median=grouped.medians(k, flow_time, size),
            p85=grouped.quantiles(k, flow_time, size, 0.85),
            active=grouped.sums(k, items.active[mask], size),
            waiting=grouped.sums(k, items.waiting[mask], size),
            waiting_other=grouped.sums(k, items.waiting_other[mask], size),
            handoffs=grouped.sums(k, items.handoffs[mask], size),
            unplanned=grouped.sums(k, items.unplanned[mask].astype(float), size),
            defects=grouped.counts(dk, size),
            discovery=grouped.medians(dk, defects.discovery[dmask], size),
        )

    every = np.ones(len(items.team), bool)
    every_defect = np.ones(len(defects.team), bool)
    teams = by(items.team, defects.team, n_teams, every, every_defect)
    capabilities = by(
        np.maximum(items.capability, 0),
        np.maximum(defects.capability, 0),
        n_capabilities,
        items.capability >= 0,
        defects.capability >= 0,
    )
    zero, dzero = np.zeros(len(items.team), np.int64), np.zeros(len(defects.team), np.int64)
    total = by(zero, dzero, 1, every, every_defect)
    team_weeks: list[list[FlowWeek]] = [[] for _ in range(n_teams)]
    if weekly:
        n_weeks = max(1, -(-(end_w - start_w) // WEEK))
        week = np.clip((items.done - start_w) // WEEK, 0, n_weeks - 1)
        dweek = np.zeros(len(defects.team), np.int64)
        weeks = by(
            items.team * n_weeks + week,
            defects.team * n_weeks + dweek,
            n_teams * n_weeks,
            every,
            every_defect,
        )
        team_weeks = [
            [weeks.week(t * n_weeks + w, start_w + w * WEEK) for w in range(n_weeks)]
            for t in range(n_teams)
        ]
    return (
        total.metrics(0),
        [teams.metrics(t) for t in range(n_teams)],
        [capabilities.metrics(c) for c in range(n_capabilities)],
        team_weeks,
    )


def compute(
    facts: FlowFacts,
    classes: StatusClasses,
    *,
    n_teams: int,
    n_capabilities: int,
    since: datetime,
    until: datetime,
    weekly: bool = False,
) -> FlowResult:
    items, defects, handoffs, unclassified = item_flow(facts, classes, since=since, until=until)
    total, teams, capabilities, weeks = summarise(
        items,
        defects,
        n_teams=n_teams,
        n_capabilities=n_capabilities,
        since=since,
        until=until,
        weekly=weekly,
    )
    return FlowResult(
        total=total,
        teams=teams,
        capabilities=capabilities,
        team_weeks=weeks,
        handoffs=handoffs,
        unclassified=unclassified,
    )


def _first(item: Ints, at: Ints, mask: np.ndarray[tuple[int], np.dtype[np.bool_]], n: int) -> Ints:
    """Per item, the earliest ``at`` where ``mask`` holds; a far-future sentinel otherwise."""
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, item[mask], at[mask])
    return first


@dataclass(frozen=True)
class _Parts:
    items: Ints
    median: Floats
    p85: Floats
    active: Floats
    waiting: Floats
    waiting_other: Floats
    handoffs: Floats
    unplanned: Floats
    defects: Ints
    discovery: Floats

    def metrics(self, k: int) -> FlowMetrics:
        items = int(self.items[k])
        active, waiting = float(self.active[k]), float(self.waiting[k])
        worked = active + waiting
        return FlowMetrics(
            items_completed=items,
            flow_time_median_days=_days(self.median[k]),
            flow_time_p85_days=_days(self.p85[k]),
            active_days=round(active / DAY, 4),
            waiting_days=round(waiting / DAY, 4),
            flow_efficiency=round(active / worked, 4) if worked > 0 else None,
            handoffs=int(self.handoffs[k]),
            handoffs_per_item=round(float(self.handoffs[k]) / items, 4) if items else None,
            waiting_on_other_teams_days=round(float(self.waiting_other[k]) / DAY, 4),
            waiting_on_other_teams_share=(
                round(float(self.waiting_other[k]) / waiting, 4) if waiting > 0 else None
            ),
            unplanned_items=int(self.unplanned[k]),
            unplanned_share=round(float(self.unplanned[k]) / items, 4) if items else None,
            defects_with_cause=int(self.defects[k]),
            defect_discovery_median_days=_days(self.discovery[k]),
        )

    def week(self, k: int, start: int) -> FlowWeek:
        return FlowWeek(
            week_start=datetime.fromtimestamp(start, tz=UTC).date(),
            items_completed=int(self.items[k]),
            active_days=round(float(self.active[k]) / DAY, 4),
            waiting_days=round(float(self.waiting[k]) / DAY, 4),
        )


def _days(seconds: float) -> float | None:
    return None if np.isnan(seconds) else round(float(seconds) / DAY, 4)
