"""flags: saved groups (named lists of attribute values for $inGroup conditions)

Revision ID: flags_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "flags_0002"
down_revision = "flags_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flag_saved_groups",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(400), nullable=False, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flag_saved_groups")
