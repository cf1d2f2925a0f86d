"""The delivery tables of the insights slice: imported changes, deployments, incidents and work
items with their status intervals. Times are UTC epoch seconds (integers): the reports do array
arithmetic on a year of rows, and integers read back an order of magnitude faster than datetimes.
Rows are keyed by (source, id). Only ``store`` (the writes) and ``store_reads`` (the reports'
reads) use them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from orgloop.kernel.db import Base


class ChangeRow(Base):
    __tablename__ = "insights_changes"
    __table_args__ = (sa.UniqueConstraint("source", "change_id"),)

    pk: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    change_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    service: Mapped[str] = mapped_column(sa.String(200), index=True)
    time_created: Mapped[int] = mapped_column(sa.BigInteger)
    head: Mapped[str | None] = mapped_column(sa.String(200), index=True)


class DeploymentRow(Base):
    __tablename__ = "insights_deployments"
    __table_args__ = (sa.UniqueConstraint("source", "deploy_id"),)

    pk: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    deploy_id: Mapped[str] = mapped_column(sa.String(200))
    service: Mapped[str] = mapped_column(sa.String(200), index=True)
    environment: Mapped[str] = mapped_column(sa.String(100))
    time_created: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    main_commit: Mapped[str | None] = mapped_column(sa.String(200), index=True)


class DeploymentChangeRow(Base):
    __tablename__ = "insights_deployment_changes"

    deployment_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("insights_deployments.pk", ondelete="CASCADE"), primary_key=True
    )
    change_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    # The change once it is imported too (kept current by every import), so that the report
    # reads integers without joining on the id:
    change_pk: Mapped[int | None] = mapped_column(sa.Integer)
    change_time: Mapped[int | None] = mapped_column(sa.BigInteger)


class IncidentRow(Base):
    __tablename__ = "insights_incidents"
    __table_args__ = (sa.UniqueConstraint("source", "incident_id"),)

    pk: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    incident_id: Mapped[str] = mapped_column(sa.String(200))
    service: Mapped[str] = mapped_column(sa.String(200), index=True)
    time_created: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    time_resolved: Mapped[int | None] = mapped_column(sa.BigInteger)


class IncidentCauseRow(Base):
    __tablename__ = "insights_incident_causes"

    incident_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("insights_incidents.pk", ondelete="CASCADE"), primary_key=True
    )
    cause_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)


class WorkItemRow(Base):
    __tablename__ = "insights_work_items"
    __table_args__ = (sa.UniqueConstraint("source", "item_id"),)

    pk: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    item_id: Mapped[str] = mapped_column(sa.String(200))
    item_type: Mapped[str] = mapped_column(sa.String(100))
    team: Mapped[str] = mapped_column(sa.String(200), index=True)
    capability: Mapped[str | None] = mapped_column(sa.String(200))
    time_created: Mapped[int] = mapped_column(sa.BigInteger)
    introduced_by: Mapped[str | None] = mapped_column(sa.String(200))
    time_done: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)  # last transition
    # The item's flow under the default status classes, computed once at import:
    flow_start: Mapped[int | None] = mapped_column(sa.BigInteger)
    flow_done: Mapped[int | None] = mapped_column(sa.BigInteger)  # a scan beats the index
    active_s: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    waiting_s: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    waiting_other_s: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    handoffs: Mapped[int] = mapped_column(sa.Integer, default=0)


class HandoffRow(Base):
    """The hand-offs inside each item's flow under the default status classes."""

    __tablename__ = "insights_work_handoffs"

    item_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("insights_work_items.pk", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    from_team: Mapped[str] = mapped_column(sa.String(200))
    to_team: Mapped[str] = mapped_column(sa.String(200))


class StatusNameRow(Base):
    __tablename__ = "insights_status_names"

    status: Mapped[str] = mapped_column(sa.String(200), primary_key=True)


class IntervalRow(Base):
    __tablename__ = "insights_work_intervals"

    item_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("insights_work_items.pk", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(200))
    team: Mapped[str] = mapped_column(sa.String(200))
    entered: Mapped[int] = mapped_column(sa.BigInteger)
    left: Mapped[int | None] = mapped_column(sa.BigInteger)
    away: Mapped[bool] = mapped_column(sa.Boolean)  # held by another team than the item's own
    handoff: Mapped[bool] = mapped_column(sa.Boolean)  # the holder changed on entering
    prev_team: Mapped[str | None] = mapped_column(sa.String(200))
