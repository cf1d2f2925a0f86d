"""insights: imported changes, deployments, incidents and work items (DORA and flow)

Revision ID: insights_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "insights_0001"
down_revision = None
branch_labels = ("insights",)
depends_on = None


def _keyed(name: str, key: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column(key, sa.String(200), nullable=False),
        *columns,
        sa.UniqueConstraint("source", key, name=f"uq_{name}_source"),
    )


def upgrade() -> None:
    _keyed(
        "insights_changes",
        "change_id",
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("time_created", sa.BigInteger, nullable=False),
        sa.Column("head", sa.String(200), nullable=True, index=True),
    )
    op.create_index("ix_insights_changes_change_id", "insights_changes", ["change_id"])
    _keyed(
        "insights_deployments",
        "deploy_id",
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("time_created", sa.BigInteger, nullable=False, index=True),
        sa.Column("main_commit", sa.String(200), nullable=True, index=True),
    )
    op.create_table(
        "insights_deployment_changes",
        sa.Column(
            "deployment_pk",
            sa.Integer,
            sa.ForeignKey("insights_deployments.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("change_id", sa.String(200), primary_key=True),
        sa.Column("change_pk", sa.Integer, nullable=True),
        sa.Column("change_time", sa.BigInteger, nullable=True),
    )
    _keyed(
        "insights_incidents",
        "incident_id",
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("time_created", sa.BigInteger, nullable=False, index=True),
        sa.Column("time_resolved", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "insights_incident_causes",
        sa.Column(
            "incident_pk",
            sa.Integer,
            sa.ForeignKey("insights_incidents.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cause_id", sa.String(200), primary_key=True),
    )
    _keyed(
        "insights_work_items",
        "item_id",
        sa.Column("item_type", sa.String(100), nullable=False),
        sa.Column("team", sa.String(200), nullable=False, index=True),
        sa.Column("capability", sa.String(200), nullable=True),
        sa.Column("time_created", sa.BigInteger, nullable=False),
        sa.Column("introduced_by", sa.String(200), nullable=True),
        sa.Column("time_done", sa.BigInteger, nullable=True, index=True),
        sa.Column("flow_start", sa.BigInteger, nullable=True),
        sa.Column("flow_done", sa.BigInteger, nullable=True),
        sa.Column("active_s", sa.BigInteger, nullable=False),
        sa.Column("waiting_s", sa.BigInteger, nullable=False),
        sa.Column("waiting_other_s", sa.BigInteger, nullable=False),
        sa.Column("handoffs", sa.Integer, nullable=False),
    )
    op.create_table(
        "insights_work_intervals",
        sa.Column(
            "item_pk",
            sa.Integer,
            sa.ForeignKey("insights_work_items.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("entered", sa.BigInteger, nullable=False),
        sa.Column("left", sa.BigInteger, nullable=True),
        sa.Column("away", sa.Boolean, nullable=False),
        sa.Column("handoff", sa.Boolean, nullable=False),
        sa.Column("prev_team", sa.String(200), nullable=True),
    )

    op.create_table(
        "insights_work_handoffs",
        sa.Column(
            "item_pk",
            sa.Integer,
            sa.ForeignKey("insights_work_items.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("from_team", sa.String(200), nullable=False),
        sa.Column("to_team", sa.String(200), nullable=False),
    )
    op.create_table("insights_status_names", sa.Column("status", sa.String(200), primary_key=True))


def downgrade() -> None:
    for table in (
        "insights_status_names",
        "insights_work_handoffs",
        "insights_work_intervals",
        "insights_work_items",
        "insights_incident_causes",
        "insights_incidents",
        "insights_deployment_changes",
        "insights_deployments",
        "insights_changes",
    ):
        op.drop_table(table)
