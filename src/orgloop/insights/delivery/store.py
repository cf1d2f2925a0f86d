"""The delivery tables of the insights slice: imported changes, deployments, incidents and work
items with their status intervals. Times are UTC epoch seconds (integers): the reports do array
arithmetic on a year of rows, and integers read back an order of magnitude faster than datetimes.

Rows are keyed by (source, id); re-importing a record replaces it, so imports are idempotent.
Each work item also keeps its flow under the default status classes, computed at import by
``flow.item_flow`` (docs/insights-delivery.md, "Storage and scale").

This module holds the writes (``save``, and ``counts`` of what an import left); the tables are in
``tables.py``, the DORA and flow reports' reads in ``store_reads.py``. Together they are the only
SQL of the delivery part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orgloop.insights.delivery import facts, flow
from orgloop.insights.delivery.records import Batch
from orgloop.insights.delivery.tables import (
    ChangeRow,
    DeploymentChangeRow,
    DeploymentRow,
    HandoffRow,
    IncidentCauseRow,
    IncidentRow,
    IntervalRow,
    StatusNameRow,
    WorkItemRow,
)

CHUNK = 500
EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def epoch(value: datetime) -> int:
    """UTC epoch seconds, as the tables keep times."""
    return int(value.timestamp())


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _replace(
    session: Session,
    table: Any,
    key: str,
    source: str,
    ids: Sequence[str],
    children: Sequence[tuple[Any, str]] = (),
) -> None:
    for part in _chunks(ids):
        pks = sa.select(table.pk).where(table.source == source, getattr(table, key).in_(part))
        for child, column in children:
            session.execute(sa.delete(child).where(getattr(child, column).in_(pks)))
        session.execute(
            sa.delete(table).where(table.source == source, getattr(table, key).in_(part))
        )


def _insert(session: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert rows; their generated keys by source id."""
    found: dict[str, int] = {}
    for part in _chunks(rows):
        result = session.execute(
            sa.insert(table).returning(table.pk, getattr(table, key), sort_by_parameter_order=True),
            list(part),
        )
        found.update({row[1]: row[0] for row in result})
    return found


def save(session: Session, batch: Batch) -> None:
    """Replace every record of the batch (by source and id) in the caller's transaction."""
    src = batch.source
    changes = [c.record for c in batch.changes]
    _replace(session, ChangeRow, "change_id", src, [c.change_id for c in changes])
    if changes:
        session.execute(
            sa.insert(ChangeRow),
            [
                {
                    "source": src,
                    "change_id": c.change_id,
                    "service": c.service.lower(),
                    "time_created": epoch(c.time_created),
                    "head": c.head,
                }
                for c in changes
            ],
        )
    deploys = [d.record for d in batch.deployments]
    _replace(
        session,
        DeploymentRow,
        "deploy_id",
        src,
        [d.deploy_id for d in deploys],
        [(DeploymentChangeRow, "deployment_pk")],
    )
    pks = _insert(
        session,
        DeploymentRow,
        "deploy_id",
        [
            {
                "source": src,
                "deploy_id": d.deploy_id,
                "service": d.service.lower(),
                "environment": d.environment,
                "time_created": epoch(d.time_created),
                "main_commit": d.main_commit,
            }
            for d in deploys
        ],
    )
    links = [
        {"deployment_pk": pks[d.deploy_id], "change_id": c}
        for d in deploys
        for c in dict.fromkeys(d.changes)
    ]
    if links:
        session.execute(sa.insert(DeploymentChangeRow), links)
    incidents = [i.record for i in batch.incidents]
    _replace(
        session,
        IncidentRow,
        "incident_id",
        src,
        [i.incident_id for i in incidents],
        [(IncidentCauseRow, "incident_pk")],
    )
    pks = _insert(
        session,
        IncidentRow,
        "incident_id",
        [
            {
                "source": src,
                "incident_id": i.incident_id,
                "service": i.service.lower(),
                "time_created": epoch(i.time_created),
                "time_resolved": epoch(i.time_resolved) if i.time_resolved else None,
            }
            for i in incidents
        ],
    )
    causes = [
        {"incident_pk": pks[i.incident_id], "cause_id": c}
        for i in incidents
        for c in dict.fromkeys(i.root_cause)
    ]
    if causes:
        session.execute(sa.insert(IncidentCauseRow), causes)
    _resolve_links(
        session, {c.change_id for c in changes} | {c for d in deploys for c in d.changes}
    )
    _save_items(session, batch)


def _resolve_links(session: Session, change_ids: set[str]) -> None:
    """Point the links to these change ids at the (earliest) stored change of that id."""
    L, C = DeploymentChangeRow, ChangeRow
    same = C.change_id == L.change_id
    for part in _chunks(sorted(change_ids)):
        session.execute(
            sa.update(L)
            .where(L.change_id.in_(part))
            .values(
                change_pk=sa.select(sa.func.min(C.pk)).where(same).scalar_subquery(),
                change_time=sa.select(sa.func.min(C.time_created)).where(same).scalar_subquery(),
            )
        )


def _save_items(session: Session, batch: Batch) -> None:
    items = [w.record for w in batch.work_items]
    _replace(
        session,
        WorkItemRow,
        "item_id",
        batch.source,
        [w.item_id for w in items],
        [(IntervalRow, "item_pk")],
    )
    intervals: list[dict[str, Any]] = []
    for n, w in enumerate(items):
        home = team = w.team.lower()
        for seq, t in enumerate(w.transitions):
            previous, team = team, t.team.lower() if t.team else team
            following = w.transitions[seq + 1].at if seq + 1 < len(w.transitions) else None
            intervals.append(
                {
                    "item_pk": n,
                    "seq": seq,
                    "status": t.status,
                    "team": team,
                    "entered": epoch(t.at),
                    "left": epoch(following) if following else None,
                    "away": team != home,
                    "handoff": seq > 0 and team != previous,
                    "prev_team": previous if seq > 0 else None,
                }
            )
    rows = [
        {
            "source": batch.source,
            "item_id": w.item_id,
            "item_type": w.type,
            "team": w.team.lower(),
            "capability": w.capability.lower() if w.capability else None,
            "time_created": epoch(w.created),
            "introduced_by": w.introduced_by,
            "time_done": epoch(w.transitions[-1].at),
            "flow_start": None,
            "flow_done": None,
            "active_s": 0,
            "waiting_s": 0,
            "waiting_other_s": 0,
            "handoffs": 0,
        }
        for w in items
    ]
    _default_flow(rows, intervals)
    pks = _insert(session, WorkItemRow, "item_id", rows)
    for interval in intervals:
        interval["item_pk"] = pks[items[interval["item_pk"]].item_id]
    counted = [i.pop("counted_handoff", False) for i in intervals]
    for part in _chunks(intervals):
        session.execute(sa.insert(IntervalRow), list(part))
    handoffs = [
        {
            "item_pk": i["item_pk"],
            "seq": i["seq"],
            "from_team": i["prev_team"],
            "to_team": i["team"],
        }
        for i, flag in zip(intervals, counted, strict=True)
        if flag
    ]
    for part in _chunks(handoffs):
        session.execute(sa.insert(HandoffRow), list(part))
    seen = {i["status"] for i in intervals}
    known = set(session.scalars(sa.select(StatusNameRow.status)))
    if seen - known:
        session.execute(sa.insert(StatusNameRow), [{"status": x} for x in sorted(seen - known)])


def _default_flow(rows: list[dict[str, Any]], intervals: list[dict[str, Any]]) -> None:
    """Each item's flow under the default status classes, with ``flow.item_flow`` itself, so
    reports with the defaults read one row per item instead of its whole history."""
    teams = {r["team"] for r in rows} | {i["team"] for i in intervals}
    codes = facts.FlowCodes(teams={t: n for n, t in enumerate(sorted(teams))}, capabilities={})
    built, _ = facts.flow_facts(
        codes=codes,
        items=[
            (n, r["item_type"], r["team"], None, r["time_created"], None)
            for n, r in enumerate(rows)
        ],
        intervals=[
            (i["item_pk"], i["status"], i["team"], i["entered"], i["left"]) for i in intervals
        ],
        change_times={},
    )
    done, _, _, _ = flow.item_flow(built, flow.DEFAULT_CLASSES, since=EVER[0], until=EVER[1])
    bounds: dict[int, tuple[int, int]] = {}
    for k, n in enumerate(done.item.tolist()):
        bounds[n] = (int(done.started[k]), int(done.done[k]))
        rows[n].update(
            flow_start=int(done.started[k]),
            flow_done=int(done.done[k]),
            active_s=int(done.active[k]),
            waiting_s=int(done.waiting[k]),
            waiting_other_s=int(done.waiting_other[k]),
            handoffs=int(done.handoffs[k]),
        )
    for i in intervals:
        start, end = bounds.get(i["item_pk"], (0, 0))
        i["counted_handoff"] = i["handoff"] and start < i["entered"] < end


def counts(session: Session) -> dict[str, int]:
    """Rows stored per kind of record (what an import reports)."""
    tables = {
        "changes": ChangeRow,
        "deployments": DeploymentRow,
        "incidents": IncidentRow,
        "work_items": WorkItemRow,
    }
    return {
        name: int(session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
        for name, t in tables.items()
    }
