"""Times read from SQLite come back timezone-aware (UTC), as PostgreSQL's ``timestamptz`` do.

SQLite has no time-zone type: SQLAlchemy stores ``DateTime(timezone=True)`` as text without an
offset and hands it back naive, so every API response built from it carried a naive time there
and an aware one on PostgreSQL.  ``keep_time_zones`` makes the engine's SQLite dialect store
aware times as UTC and read them back aware, for every such column of every slice at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.engine import Dialect, Engine


class _UtcDateTime(DATETIME):
    """SQLite's DATETIME, kept in UTC: aware on the way in (converted) and out (assumed)."""

    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        process = super().bind_processor(dialect)

        def bind(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return process(value) if process else value

        return bind

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        process = super().result_processor(dialect, coltype)
        if not self.timezone:
            return process

        def result(value: Any) -> Any:
            value = process(value) if process else value
            if isinstance(value, datetime) and value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value

        return result


def keep_time_zones(engine: Engine) -> None:
    """Read ``DateTime(timezone=True)`` columns of this SQLite engine back as UTC-aware."""
    dialect: Any = engine.dialect
    dialect.colspecs = {**dialect.colspecs, sa.DateTime: _UtcDateTime}
