"""flags: flags with their per-environment configuration

Revision ID: flags_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "flags_0001"
down_revision = None
branch_labels = ("flags",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flags",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("default_value", sa.JSON, nullable=True),
        sa.Column("owner", sa.String(400), nullable=False, index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("environments", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flags")
