"""catalog: entities and their derived relations

Revision ID: catalog_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = None
branch_labels = ("catalog",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_entities",
        sa.Column("ref", sa.String(400), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("namespace", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, index=True),
        sa.Column("type", sa.String(100), nullable=True),
        sa.Column("lifecycle", sa.String(100), nullable=True),
        sa.Column("owner", sa.String(400), nullable=True, index=True),
        sa.Column("system", sa.String(400), nullable=True, index=True),
        sa.Column("descriptor", sa.JSON, nullable=False),
        sa.Column("source", sa.String(1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "catalog_relations",
        sa.Column("source_ref", sa.String(400), primary_key=True),
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("target_ref", sa.String(400), primary_key=True),
    )
    op.create_index("ix_catalog_relations_target", "catalog_relations", ["target_ref"])


def downgrade() -> None:
    op.drop_table("catalog_relations")
    op.drop_table("catalog_entities")
