"""The insights branch's migration creates exactly the tables the delivery store maps."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from orgloop.app import Services
from orgloop.insights.delivery import store  # noqa: F401 (registers the rows)
from orgloop.kernel.db import Base


def test_migration_matches_the_stored_rows(services: Services) -> None:
    with services.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "insights_" in repr(d)] == []
