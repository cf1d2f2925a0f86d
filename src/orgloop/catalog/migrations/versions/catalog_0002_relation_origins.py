"""catalog: each relation row names the entity that declares it; services keep their service.name

A write used to derive every relation of the catalog again and rewrite the table. With the
declaring entity (``origin``) on each row, a write replaces only the rows of the entities it
changes, and deleting an entity finds the entities that refer to it by index. ``service_name``
lets a write find the service that already reports a service.name without reading every
descriptor.

Relations are derived data: the upgrade derives them again from the stored descriptors, entity
by entity, with the catalog's own reader, and fills ``service_name`` the same way.

Revision ID: catalog_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None

_entities = sa.table(
    "catalog_entities",
    sa.column("ref", sa.String),
    sa.column("descriptor", sa.JSON),
    sa.column("service_name", sa.String),
)
_relations = sa.table(
    "catalog_relations",
    sa.column("origin", sa.String),
    sa.column("source_ref", sa.String),
    sa.column("type", sa.String),
    sa.column("target_ref", sa.String),
)


def upgrade() -> None:
    from orgloop.catalog.descriptors import to_entity
    from orgloop.catalog.entities import Source
    from orgloop.catalog.relations import derive_relations
    from orgloop.catalog.validation import is_service, service_name

    op.add_column("catalog_entities", sa.Column("service_name", sa.String(255), nullable=True))
    op.create_index("ix_catalog_entities_service_name", "catalog_entities", ["service_name"])
    op.drop_table("catalog_relations")
    op.create_table(
        "catalog_relations",
        sa.Column("origin", sa.String(400), primary_key=True),
        sa.Column("source_ref", sa.String(400), primary_key=True),
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("target_ref", sa.String(400), primary_key=True),
    )
    op.create_index("ix_catalog_relations_source_ref", "catalog_relations", ["source_ref"])
    op.create_index("ix_catalog_relations_target_ref", "catalog_relations", ["target_ref"])
    bind = op.get_bind()
    rows = []
    for ref, descriptor in bind.execute(sa.select(_entities.c.ref, _entities.c.descriptor)):
        entity = to_entity(descriptor, Source("<catalog>", 0), [])
        if entity is None:
            continue
        if is_service(entity):
            bind.execute(
                _entities.update()
                .where(_entities.c.ref == ref)
                .values(service_name=service_name(entity))
            )
        rows += [
            {"origin": ref, "source_ref": s, "type": t, "target_ref": o}
            for s, t, o in (r.as_tuple() for r in derive_relations([entity]))
        ]
    if rows:
        bind.execute(_relations.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_catalog_relations_target_ref", "catalog_relations")
    op.drop_index("ix_catalog_relations_source_ref", "catalog_relations")
    bind = op.get_bind()
    kept = {
        (s, t, o)
        for s, t, o in bind.execute(
            sa.select(_relations.c.source_ref, _relations.c.type, _relations.c.target_ref)
        )
    }
    op.drop_table("catalog_relations")
    op.create_table(
        "catalog_relations",
        sa.Column("source_ref", sa.String(400), primary_key=True),
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("target_ref", sa.String(400), primary_key=True),
    )
    op.create_index("ix_catalog_relations_target", "catalog_relations", ["target_ref"])
    if kept:
        bind.execute(
            sa.table(
                "catalog_relations",
                sa.column("source_ref", sa.String),
                sa.column("type", sa.String),
                sa.column("target_ref", sa.String),
            ).insert(),
            [{"source_ref": s, "type": t, "target_ref": o} for s, t, o in sorted(kept)],
        )
    op.drop_index("ix_catalog_entities_service_name", "catalog_entities")
    with op.batch_alter_table("catalog_entities") as batch:
        batch.drop_column("service_name")
