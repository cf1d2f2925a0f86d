"""The report reads of the delivery tables (``store.py`` defines them and writes them): the
rows behind the DORA report and the flow report, as plain tuples or integers, for ``dora.py``,
``facts.py`` and ``flow.py`` to compute on.

``flow_items`` computes an item's flow under any status classes in SQL (the whole history stays
in the database); ``flow_items_default`` reads the flow stored with each item at import for the
default classes; ``flow_rows`` reads the items and intervals ``flow.item_flow`` computes from
(the pure reference the SQL is held to).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orgloop.insights.delivery import facts, flow
from orgloop.insights.delivery.flow import ACTIVE, BACKLOG, DONE, UNCLASSIFIED, WAITING
from orgloop.insights.delivery.models import StatusClasses
from orgloop.insights.delivery.store import epoch
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


def _raw(session: Session, statement: Any) -> list[Any]:
    """Plain tuples straight from the driver: a year of rows without a Row object each."""
    result = session.connection().execute(statement)
    rows = list(result.cursor.fetchall()) if result.cursor is not None else []
    result.close()
    return rows


def dora_rows(
    session: Session, until: datetime, services: Sequence[str] | None = None
) -> dict[str, Any]:
    """Deployments before ``until``; changes, links and causes by database key (integers);
    only of ``services`` when given (a team's or one service's report)."""
    D, L, C = DeploymentRow, DeploymentChangeRow, ChangeRow
    Inc, Cause = IncidentRow, IncidentCauseRow
    listed = sa.select(L.deployment_pk, L.change_pk, L.change_time).where(L.change_pk.is_not(None))
    pushed = sa.select(D.pk, C.pk, C.time_created).join(C, C.head == D.main_commit)
    deploys = sa.select(D.pk, D.service, D.time_created).where(D.time_created < epoch(until))
    incidents = sa.select(Inc.pk, Inc.service, Inc.time_created, Inc.time_resolved)
    if services is not None:
        names = list(services)
        listed = listed.join(D, D.pk == L.deployment_pk).where(D.service.in_(names))
        pushed = pushed.where(D.service.in_(names))
        deploys = deploys.where(D.service.in_(names))
        incidents = incidents.where(Inc.service.in_(names))
    return {
        "deploys": _raw(session, deploys),
        # UNION ALL: a change both listed and pushed is linked twice, which changes nothing.
        "links": _raw(session, sa.union_all(listed, pushed)),
        "incidents": _raw(session, incidents),
        "cause_changes": _raw(
            session,
            sa.select(Cause.incident_pk, sa.func.min(C.pk))
            .join(C, C.change_id == Cause.cause_id)
            .group_by(Cause.incident_pk, Cause.cause_id),
        ),
        "cause_deploys": _raw(
            session, sa.select(Cause.incident_pk, D.pk).join(D, D.deploy_id == Cause.cause_id)
        ),
    }


def flow_rows(
    session: Session, since: datetime, teams: Iterable[str] | None
) -> tuple[list[facts.ItemRow], list[facts.IntervalRow], dict[str, int]]:
    """Items whose last transition is in or after the window, their intervals in order, and the
    creation time of every introducing change they name."""
    W, Iv = WorkItemRow, IntervalRow
    wanted = sa.select(W.pk).where(W.time_done >= epoch(since))
    if teams is not None:
        wanted = wanted.where(W.team.in_(list(teams)))
    items = session.execute(
        sa.select(W.pk, W.item_type, W.team, W.capability, W.time_created, W.introduced_by).where(
            W.pk.in_(wanted)
        )
    ).all()
    intervals = session.execute(
        sa.select(Iv.item_pk, Iv.status, Iv.team, Iv.entered, Iv.left)
        .where(Iv.item_pk.in_(wanted))
        .order_by(Iv.item_pk, Iv.seq)
    ).all()
    causes = sa.select(W.introduced_by).where(W.pk.in_(wanted), W.introduced_by.is_not(None))
    times = session.execute(
        sa.select(ChangeRow.change_id, sa.func.min(ChangeRow.time_created))
        .where(ChangeRow.change_id.in_(causes))
        .group_by(ChangeRow.change_id)
    ).all()
    return (
        [tuple(r) for r in items],  # type: ignore[misc]
        [tuple(r) for r in intervals],  # type: ignore[misc]
        {r[0]: int(r[1]) for r in times},
    )


def flow_items(
    session: Session,
    classes: StatusClasses,
    since: datetime,
    until: datetime,
    teams: Iterable[str] | None,
) -> dict[str, list[Any]]:
    """What ``flow.item_flow`` computes from intervals, computed here in SQL (a year of
    transitions stays in the database): one row per item done in the window, the defects, the
    hand-off pairs and the unclassified statuses."""
    W, Iv = WorkItemRow, IntervalRow
    start, end = epoch(since), epoch(until)
    wanted = sa.select(W.pk).where(W.time_done >= start)
    if teams is not None:
        wanted = wanted.where(W.team.in_(list(teams)))
    status = sa.func.lower(Iv.status)

    def named(names: list[str]) -> Any:
        return status.in_([n.strip().lower() for n in names])

    cls = sa.case(
        (named(classes.done), DONE),
        (named(classes.active), ACTIVE),
        (named(classes.waiting), WAITING),
        (named(classes.backlog), BACKLOG),
        else_=UNCLASSIFIED,
    )
    iv = (
        sa.select(
            Iv.item_pk,
            Iv.status,
            Iv.team,
            Iv.prev_team,
            Iv.away,
            Iv.handoff,
            Iv.entered,
            sa.func.coalesce(Iv.left, end).label("lft"),
            cls.label("cls"),
        )
        .where(Iv.item_pk.in_(wanted))
        .cte("iv")
    )
    bounds = (
        sa.select(
            iv.c.item_pk,
            sa.func.min(sa.case((iv.c.cls.in_([ACTIVE, WAITING]), iv.c.entered))).label("started"),
            sa.func.min(sa.case((iv.c.cls == DONE, iv.c.entered))).label("done"),
        )
        .group_by(iv.c.item_pk)
        .cte("bounds")
    )
    done_in = sa.and_(
        bounds.c.done >= start, bounds.c.done < end, bounds.c.started <= bounds.c.done
    )
    inside = sa.and_(
        iv.c.item_pk == bounds.c.item_pk,
        iv.c.entered >= bounds.c.started,
        iv.c.entered < bounds.c.done,
    )
    spent = sa.case((iv.c.lft < bounds.c.done, iv.c.lft), else_=bounds.c.done) - iv.c.entered

    def total(condition: Any, value: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    unplanned = sa.func.lower(W.item_type).in_([t.strip().lower() for t in classes.unplanned_types])
    items = (
        sa.select(
            W.team,
            W.capability,
            bounds.c.started,
            bounds.c.done,
            total(iv.c.cls == ACTIVE, spent),
            total(iv.c.cls != ACTIVE, spent),
            total(sa.and_(iv.c.cls != ACTIVE, iv.c.away), spent),
            total(sa.and_(iv.c.handoff, iv.c.entered > bounds.c.started), 1),
            sa.case((unplanned, 1), else_=0),
        )
        .select_from(bounds.join(W, W.pk == bounds.c.item_pk).outerjoin(iv, inside))
        .where(done_in)
        .group_by(
            bounds.c.item_pk, W.team, W.capability, bounds.c.started, bounds.c.done, W.item_type
        )
    )
    pairs = (
        sa.select(iv.c.prev_team, iv.c.team, sa.func.count())
        .select_from(bounds.join(iv, inside))
        .where(done_in, iv.c.handoff, iv.c.entered > bounds.c.started)
        .group_by(iv.c.prev_team, iv.c.team)
    )
    unclassified = sa.select(iv.c.status).where(iv.c.cls == UNCLASSIFIED).distinct()
    return {
        "items": _raw(session, items),
        "pairs": _raw(session, pairs),
        "defects": _raw(session, _defects(wanted, start, end)),
        "unclassified": sorted(r[0] for r in _raw(session, unclassified)),
    }


def flow_items_default(
    session: Session,
    classes: StatusClasses,
    since: datetime,
    until: datetime,
    teams: Iterable[str] | None,
) -> dict[str, list[Any]]:
    """``flow_items`` for the default status classes, from the flow stored with each item."""
    W = WorkItemRow
    start, end = epoch(since), epoch(until)
    done_in = sa.and_(W.flow_done >= start, W.flow_done < end)
    if teams is not None:
        done_in = sa.and_(done_in, W.team.in_(list(teams)))
    unplanned = sa.func.lower(W.item_type).in_([t.strip().lower() for t in classes.unplanned_types])
    items = sa.select(
        W.team,
        W.capability,
        W.flow_start,
        W.flow_done,
        W.active_s,
        W.waiting_s,
        W.waiting_other_s,
        W.handoffs,
        sa.case((unplanned, 1), else_=0),
    ).where(done_in)
    H = HandoffRow
    pairs = (
        sa.select(H.from_team, H.to_team, sa.func.count())
        .join(W, W.pk == H.item_pk)
        .where(done_in)
        .group_by(H.from_team, H.to_team)
    )
    wanted = sa.select(W.pk).where(W.time_done >= start)
    if teams is not None:
        wanted = wanted.where(W.team.in_(list(teams)))
    statuses = [r[0] for r in _raw(session, sa.select(StatusNameRow.status))]
    codes = flow.classify(statuses, classes)
    return {
        "items": _raw(session, items),
        "pairs": _raw(session, pairs),
        "defects": _raw(session, _defects(wanted, start, end)),
        "unclassified": sorted(
            s for s, c in zip(statuses, codes.tolist(), strict=True) if c == UNCLASSIFIED
        ),
    }


def _defects(wanted: Any, start: int, end: int) -> Any:
    W, C = WorkItemRow, ChangeRow
    return (
        sa.select(W.team, W.capability, W.time_created - sa.func.min(C.time_created))
        .join(C, C.change_id == W.introduced_by)
        .where(W.pk.in_(wanted), W.time_created >= start, W.time_created < end)
        .group_by(W.pk, W.team, W.capability, W.time_created)
    )
