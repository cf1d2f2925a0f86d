"""The catalog's migrations: the tables match the stored rows, and a catalog stored before
relations named their origin upgrades to one whose writes keep it whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from orgloop.app import Services, build_services
from orgloop.catalog import store  # noqa: F401 (registers the rows)
from orgloop.catalog.entities import Entity
from orgloop.catalog.locations import load_paths
from orgloop.catalog.models import DescriptorIn
from orgloop.catalog.relations import derive_relations
from orgloop.catalog.writer import entity_to_dict
from orgloop.kernel import db as kernel_db
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.db import Base
from orgloop.kernel.errors import InvalidInput
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.settings import Settings
from tests.catalog.builders import SHOP, component
from tests.catalog.test_writes import derived_relations, shop_relations, stored_relations


def test_migrations_match_the_stored_rows(services: Services) -> None:
    with services.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "catalog" in repr(d)] == []


def _store_as_catalog_0001(engine: sa.Engine, entities: list[Entity]) -> None:
    """Rows as the first schema held them: relations of the whole catalog, no origin."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO catalog_entities (ref, kind, namespace, name, type, lifecycle, "
                "owner, system, descriptor, source, updated_at) VALUES (:ref, :kind, "
                ":namespace, :name, :type, NULL, NULL, NULL, :descriptor, :source, :now)"
            ).bindparams(sa.bindparam("descriptor", type_=sa.JSON)),
            [
                {
                    "ref": e.ref.key,
                    "kind": e.kind,
                    "namespace": e.metadata.namespace,
                    "name": e.metadata.name,
                    "type": e.spec.get("type"),
                    "descriptor": entity_to_dict(e),
                    "now": now,
                    "source": f"{e.source.file}#{e.source.document}",
                }
                for e in entities
            ],
        )
        conn.execute(
            sa.text("INSERT INTO catalog_relations VALUES (:s, :t, :o)"),
            [
                {"s": s, "t": t, "o": o}
                for s, t, o in (r.as_tuple() for r in derive_relations(entities))
            ],
        )


def test_upgrade_gives_each_relation_its_origin_and_each_service_its_name(
    database_url: str, tmp_path: Path
) -> None:
    engine = kernel_db.make_engine(database_url)
    config = kernel_db.alembic_config(engine)
    command.upgrade(config, "heads")
    command.downgrade(config, "catalog_0001")
    entities = load_paths([SHOP]).entities
    _store_as_catalog_0001(engine, entities)
    command.upgrade(config, "heads")
    engine.dispose()

    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    services = build_services(settings, clock=FixedClock(), ids=SequentialIds(), migrate=False)
    try:
        assert stored_relations(services) == derived_relations(services)
        assert len(stored_relations(services)) == shop_relations()
        team = services.catalog.get_entity("group:default/checkout").descriptor
        team["spec"]["members"] = ["grace"]  # tim still declares memberOf: [checkout]
        services.catalog.put_entity(DescriptorIn(descriptor=team), actor=SYSTEM)
        assert ("group:default/checkout", "hasMember", "user:default/tim") in stored_relations(
            services
        )
        reuse = component("payments-v2", "checkout")
        reuse["descriptor"]["metadata"]["annotations"]["orgloop.dev/service-name"] = "payments"
        with pytest.raises(InvalidInput) as refused:
            services.catalog.put_entity(DescriptorIn.model_validate(reuse), actor=SYSTEM)
        assert "already used by component:default/payments-v2" in str(refused.value.details)
    finally:
        services.close()
