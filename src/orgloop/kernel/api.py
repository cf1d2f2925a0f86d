"""The kernel's own routes: health, tokens, the audit log and the periodic jobs."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query

from orgloop import __version__
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.db import Database
from orgloop.kernel.http import Caller, Offset
from orgloop.kernel.jobs import Jobs
from orgloop.kernel.models import (
    AuditEntry,
    Health,
    JobStatus,
    Page,
    Token,
    TokenCreate,
    TokenCreated,
)
from orgloop.kernel.tokens import TokenService


def build_router(*, db: Database, tokens: TokenService, audit: AuditLog, jobs: Jobs) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/health", tags=["kernel"])
    def health() -> Health:
        """Liveness and database reachability; needs no token."""
        with db.reading() as session:
            session.execute(sa.text("SELECT 1"))
        return Health(status="ok", version=__version__, database=db.dialect)

    @router.post("/tokens", status_code=201, tags=["kernel"])
    def create_token(body: TokenCreate, caller: Caller) -> TokenCreated:
        """Create a token; the secret is in this response and nowhere else, ever."""
        return tokens.create(body, actor=caller)

    @router.get("/tokens", tags=["kernel"])
    def list_tokens(caller: Caller, include_revoked: bool = False) -> list[Token]:
        return tokens.list(actor=caller, include_revoked=include_revoked)

    @router.delete("/tokens/{token_id}", tags=["kernel"])
    def revoke_token(token_id: str, caller: Caller) -> Token:
        return tokens.revoke(token_id, actor=caller)

    @router.get("/audit", tags=["kernel"])
    def list_audit(
        caller: Caller,
        resource_kind: str | None = None,
        resource_id: str | None = None,
        action: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Offset = 0,
    ) -> Page[AuditEntry]:
        """Every change, newest first: who, when, what, before and after."""
        return audit.list(
            actor=caller,
            resource_kind=resource_kind,
            resource_id=resource_id,
            action=action,
            limit=limit,
            offset=offset,
        )

    @router.get("/jobs", tags=["kernel"])
    def list_jobs(caller: Caller) -> list[JobStatus]:
        """The periodic jobs (the scheduled analysis of running experiments): when each is due,
        when it last ran and on which replica, whether it is running."""
        caller.require_read()
        return jobs.status()

    return router
