"""Wire models of the catalog: entities, their relations, listings and import reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_IMPORT_ENTITIES = 20_000


class Relation(BaseModel):
    type: str
    target: str


class EntitySummary(BaseModel):
    ref: str = Field(description="kind:namespace/name, lowercased")
    kind: str
    namespace: str
    name: str
    title: str | None = None
    description: str | None = None
    type: str | None = None
    lifecycle: str | None = None
    owner: str | None = Field(default=None, description="Entity ref of the owning group")
    system: str | None = None
    tags: list[str] = []
    annotations: dict[str, str] = {}


class EntityDetail(EntitySummary):
    descriptor: dict[str, Any]
    relations: list[Relation]
    source: str | None = None
    updated_at: datetime


class EntityPage(BaseModel):
    items: list[EntitySummary]
    total: int
    limit: int
    offset: int


class DescriptorIn(BaseModel):
    """A descriptor as sent by ``orgloop catalog import``; ``file``/``document`` name its origin."""

    model_config = ConfigDict(extra="forbid")

    descriptor: dict[str, Any]
    file: str = "<request>"
    document: int = 0


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[DescriptorIn] = Field(max_length=MAX_IMPORT_ENTITIES)
    prune: bool = Field(
        default=False, description="Remove catalog entities missing from the source."
    )
    dry_run: bool = Field(default=False, description="Report what would change; change nothing.")


class ImportReport(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: int
    missing: list[str] = Field(description="In the catalog but not in the source.")
    removed: list[str] = Field(description="Missing entities that were removed (with prune).")
    relations: int
    dry_run: bool
