"""Wire models of the kernel's own resources: tokens, audit entries, pages, health."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from orgloop.kernel.auth import Role

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], *, limit: int, offset: int) -> Self:
        """The page ``[offset, offset + limit)`` of a listing read whole."""
        return cls(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200, description="Required for role member.")
    environment: str | None = Field(
        default=None, max_length=100, description="Required for role sdk."
    )


class Token(BaseModel):
    id: str
    name: str
    role: Role
    team: str | None
    environment: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    """The only time the secret is ever shown."""

    token: Token
    secret: str


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    resource_kind: str
    resource_id: str
    before: Any | None
    after: Any | None


class JobStatus(BaseModel):
    """A periodic job (run on one replica per period): when it is due, how its last run went."""

    name: str
    every_seconds: float | None = Field(
        description="Its period on the replica that answered; null if that replica has no timer "
        "for it (e.g. it was started with the job turned off)."
    )
    due_at: datetime | None = Field(
        description="When it runs next; null until a replica's first tick has recorded it."
    )
    runs: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_replica: str | None = Field(description="The replica that ran it last.")
    running: bool = Field(
        description="Started and not finished since: running now, or its replica stopped in the "
        "middle (the next replica to tick runs it again)."
    )


class Health(BaseModel):
    status: str
    version: str
    database: str
