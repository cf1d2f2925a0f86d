"""contracts: what a Pact Broker client records besides contracts

Environments as resources (a uuid, a display name, production or not), pacticipant versions with
their branches and tags, and pacticipant metadata (display name, main branch, repository URL).

Revision ID: contracts_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "contracts_0003"
down_revision = "contracts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts_environments",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("production", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_contracts_environments_name"),
    )
    op.create_table(
        "contracts_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("build_url", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("service", "version", name="uq_contracts_versions"),
    )
    op.create_table(
        "contracts_version_labels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("service", "version", "kind", "name", name="uq_contracts_labels"),
    )
    op.create_table(
        "contracts_pacticipants",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("main_branch", sa.String(200), nullable=True),
        sa.Column("repository_url", sa.String(1000), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "contracts_pacticipants",
        "contracts_version_labels",
        "contracts_versions",
        "contracts_environments",
    ):
        op.drop_table(table)
