"""contracts: the history of deployments

``contracts_deployments`` already keeps a replaced or undeployed row (``active`` false, its
``ended_at`` set), so the table is the history; this revision adds who recorded each row
(``recorded_by``) and an index on ``started_at`` for reads over a time window.  can-i-deploy's
reads keep their own index (``contracts_0002``) and are unchanged.

Rows recorded before this revision, current and ended alike, are the history's start; their
``recorded_by`` is filled from the audit log where it names them (the latest matching
``contracts.deployment.deploy`` or ``.release`` entry), and stays empty otherwise.

Revision ID: contracts_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "contracts_0004"
down_revision = "contracts_0003"
branch_labels = None
depends_on = None

_INDEX = "ix_contracts_deployments_started_at"
_ACTIONS = {"contracts.deployment.deploy": "deployment", "contracts.deployment.release": "release"}


def upgrade() -> None:
    with op.batch_alter_table("contracts_deployments") as batch:
        batch.add_column(sa.Column("recorded_by", sa.String(200), nullable=True))
    op.create_index(_INDEX, "contracts_deployments", ["started_at"])
    _backfill_recorded_by()


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="contracts_deployments")
    with op.batch_alter_table("contracts_deployments") as batch:
        batch.drop_column("recorded_by")


def _backfill_recorded_by() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("audit_log"):
        return
    audit = sa.table(
        "audit_log", sa.column("id", sa.Integer), sa.column("actor", sa.String),
        sa.column("action", sa.String), sa.column("resource_id", sa.String),
        sa.column("after", sa.JSON),
    )  # fmt: skip
    deployments = sa.table(
        "contracts_deployments", sa.column("service", sa.String),
        sa.column("environment", sa.String), sa.column("version", sa.String),
        sa.column("kind", sa.String), sa.column("recorded_by", sa.String),
    )  # fmt: skip
    query = (
        sa.select(audit.c.actor, audit.c.action, audit.c.resource_id, audit.c.after)
        .where(audit.c.action.in_(sorted(_ACTIONS)))
        .order_by(audit.c.id)
    )
    latest: dict[tuple[str, str, str, str], str] = {}
    for actor, action, ref, after in bind.execute(query):
        service, _, environment = str(ref).partition("@")
        version = after.get("version") if isinstance(after, dict) else None
        if environment and version:
            latest[(service, environment, str(version), _ACTIONS[action])] = actor
    for (service, environment, version, kind), actor in latest.items():
        bind.execute(
            deployments.update()
            .where(
                deployments.c.service == service,
                deployments.c.environment == environment,
                deployments.c.version == version,
                deployments.c.kind == kind,
                deployments.c.recorded_by.is_(None),
            )
            .values(recorded_by=actor[:200])
        )
