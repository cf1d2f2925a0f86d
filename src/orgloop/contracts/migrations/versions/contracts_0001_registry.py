"""contracts: API documents and versions, consumer contracts, verifications, deployments

Revision ID: contracts_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "contracts_0001"
down_revision = None
branch_labels = ("contracts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts_documents",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("content", sa.JSON, nullable=False),
    )
    op.create_table(
        "contracts_api_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("api", sa.String(200), nullable=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("service", "version", name="uq_contracts_api_versions_service"),
    )
    op.create_table(
        "contracts_consumer_contracts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("consumer_version", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "consumer", "consumer_version", "provider", name="uq_contracts_consumer_contracts_key"
        ),
    )
    op.create_table(
        "contracts_verifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("provider_version", sa.String(100), nullable=False),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("consumer_version", sa.String(100), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("results", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_contracts_verifications_pair",
        "contracts_verifications",
        ["provider", "provider_version", "consumer", "consumer_version"],
    )
    op.create_table(
        "contracts_deployments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_contracts_deployments_current",
        "contracts_deployments",
        ["environment", "active", "service"],
    )


def downgrade() -> None:
    op.drop_table("contracts_deployments")
    op.drop_table("contracts_verifications")
    op.drop_table("contracts_consumer_contracts")
    op.drop_table("contracts_api_versions")
    op.drop_table("contracts_documents")
