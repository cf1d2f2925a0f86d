"""Warehouse-native mode: read exposures and events from tables that already exist, whatever their
names and column names, by mapping them onto the vocabulary the analysis uses.

The mapping only renames (and selects) columns in an Ibis expression; nothing is copied.  The
embedded store's own tables use the default mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

from orgloop.kernel.errors import InvalidInput

_IDENT = Field(min_length=1, max_length=200)


class ExposureColumns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = _IDENT
    timestamp: str = _IDENT
    experiment: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="None: every row is the one experiment analysed (a one-experiment export).",
    )
    variant: str = _IDENT


class EventColumns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = _IDENT
    timestamp: str = _IDENT
    event: str = _IDENT
    value: str = _IDENT


class WarehouseMapping(BaseModel):
    """Where exposures and events live; defaults are the embedded store's tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exposures_table: str = Field(default="exposures", min_length=1)
    events_table: str = Field(default="events", min_length=1)
    database: str | None = Field(default=None, description="Schema (or catalog.schema) of both.")
    exposure_columns: ExposureColumns = ExposureColumns(
        unit="unit", timestamp="timestamp", variant="variant"
    )
    event_columns: EventColumns = EventColumns(
        unit="unit", timestamp="timestamp", event="event", value="value"
    )


DEFAULT_MAPPING = WarehouseMapping()


@dataclass(frozen=True, slots=True)
class Sources:
    """Exposures (unit, timestamp, experiment, variant) and events (unit, timestamp, event, value)."""

    exposures: ir.Table
    events: ir.Table


def sources(
    con: Any,
    mapping: WarehouseMapping = DEFAULT_MAPPING,
    *,
    experiment: str | None = None,
    environment: str | None = None,
) -> Sources:
    """The mapped tables of ``con`` (an Ibis backend), with the analysis's column names.

    An exposures table without the experiment column (a one-experiment export) is read as all of
    ``experiment``, when one is named: the column is only required when it is mapped explicitly.
    With ``environment``, rows a table marks as sent from another environment (its
    ``environment`` column: the SDK key's) are left out; rows with none (sent with an admin or a
    team member's token) and tables without the column are read whole.
    """
    exposures = _table(con, mapping.exposures_table, mapping.database, "exposures_table")
    events = _table(con, mapping.events_table, mapping.database, "events_table")
    if environment is not None:
        exposures, events = _from(exposures, environment), _from(events, environment)
    columns = mapping.exposure_columns.model_dump()
    implicit = mapping.exposure_columns.experiment is None
    if implicit:
        columns["experiment"] = "experiment"
    if implicit and "experiment" not in exposures.columns and experiment is not None:
        del columns["experiment"]
        renamed = _rename(exposures, columns, "exposure_columns")
        exposed = renamed.mutate(experiment=ibis.literal(experiment, type="string"))
    else:
        exposed = _rename(exposures, columns, "exposure_columns")
    return Sources(
        exposures=exposed,
        events=_rename(events, mapping.event_columns.model_dump(), "event_columns"),
    )


def _from(table: ir.Table, environment: str) -> ir.Table:
    if "environment" not in table.columns:
        return table
    return table.filter(table.environment.isnull() | (table.environment == environment))


def _table(con: Any, name: str, database: str | None, path: str) -> ir.Table:
    try:
        table: ir.Table = con.table(name, database=database) if database else con.table(name)
    except Exception as exc:  # each backend raises its own "no such table" type
        raise InvalidInput.at(path, f"no table {name!r} ({exc.__class__.__name__})") from None
    return table


def _rename(table: ir.Table, columns: dict[str, str], path: str) -> ir.Table:
    missing = [(ours, theirs) for ours, theirs in columns.items() if theirs not in table.columns]
    if missing:
        ours, theirs = missing[0]
        raise InvalidInput.at(
            f"{path}.{ours}",
            f"column {theirs!r} is not in the table (it has {', '.join(table.columns)})",
        )
    return table.select(**{ours: table[theirs] for ours, theirs in columns.items()})
