"""The DORA, flow and import resources under ``/api/v1/insights`` (thin: parse, call the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from orgloop.insights.delivery.flow import DEFAULT_CLASSES
from orgloop.insights.delivery.models import DoraReport, FlowReport, StatusClasses
from orgloop.insights.delivery.service import DeliveryService, ImportResult, Source
from orgloop.kernel.http import Caller

Names = Annotated[list[str] | None, Query(description="Replaces the default list (repeatable).")]


def build_router(*, delivery: DeliveryService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/insights", tags=["insights"])

    @router.get("/dora")
    def dora(
        caller: Caller,
        team: str | None = None,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        group_by: Literal["team", "service"] = "team",
        weeks: Annotated[bool, Query(description="Add a weekly series per group.")] = False,
    ) -> DoraReport:
        """Deployment frequency, lead time, change failure rate and time to restore, banded."""
        caller.require_read()
        return delivery.dora(
            team=team, service=service, since=since, until=until, group_by=group_by, weekly=weeks
        )

    @router.get("/flow")
    def flow(
        caller: Caller,
        team: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        active: Names = None,
        waiting: Names = None,
        done: Names = None,
        unplanned: Names = None,
        weeks: Annotated[bool, Query(description="Add a weekly series per team.")] = False,
    ) -> FlowReport:
        """Flow time, active and waiting time, efficiency, hand-offs, unplanned share."""
        caller.require_read()
        classes = _classes(active, waiting, done, unplanned)
        return delivery.flow(team=team, since=since, until=until, classes=classes, weekly=weeks)

    @router.post(
        "/imports/{source}",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def import_records(
        source: Source,
        request: Request,
        caller: Caller,
        kind: Annotated[str | None, Query(description="For CSV: which records.")] = None,
        file: Annotated[str, Query(max_length=300, description="Named in problems.")] = "<body>",
        team_field: Annotated[str, Query(max_length=100)] = "Team",
    ) -> ImportResult:
        """Import a file of webhook payloads, a Jira export, CSV or the generic JSON (one
        transaction; re-importing replaces records by source and id)."""
        content = await request.body()
        return delivery.import_file(
            source, content, file=file, kind=kind, team_field=team_field, actor=caller
        )

    return router


def _classes(
    active: list[str] | None,
    waiting: list[str] | None,
    done: list[str] | None,
    unplanned: list[str] | None,
) -> StatusClasses:
    given = {"active": active, "waiting": waiting, "done": done, "unplanned_types": unplanned}
    return DEFAULT_CLASSES.model_copy(update={k: v for k, v in given.items() if v})
