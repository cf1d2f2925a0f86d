"""The insights REST resources under ``/api/v1/insights`` (thin: parse, call the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from orgloop.insights.models import (
    ConwayReport,
    MonolithReport,
    TeamShapeReport,
    Thresholds,
    VelocityReport,
    WhatIfReport,
)
from orgloop.insights.service import InsightsService
from orgloop.kernel.http import Caller

Team = Annotated[str | None, Query(description="Only what involves this team.")]
Since = Annotated[datetime | None, Query(description="Only data from this time on (ISO 8601).")]


def build_router(*, insights: InsightsService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/insights", tags=["insights"])

    @router.get("/conway")
    def conway(caller: Caller, team: Team = None, since: Since = None) -> ConwayReport:
        """Coordination needs (C_R) against declared interactions (C_A): congruence and more."""
        caller.require_read()
        return insights.conway(team=team, since=since)

    @router.get("/monolith")
    def monolith(
        caller: Caller,
        thresholds: Annotated[Thresholds, Query()],
        team: Team = None,
        since: Since = None,
    ) -> MonolithReport:
        """Distributed-monolith signals by severity, with evidence and the teams to talk to."""
        caller.require_read()
        return insights.monolith(team=team, since=since, thresholds=thresholds)

    @router.get("/teams")
    def teams(caller: Caller, team: Team = None) -> TeamShapeReport:
        """Team shape: sizes, communication paths, vertical integration, the N-tier smell."""
        caller.require_read()
        return insights.teams(team=team)

    @router.get("/velocity")
    def velocity(caller: Caller, team: Team = None, since: Since = None) -> VelocityReport:
        """Learning velocity per team: experiments started, decided, time to decision, outcomes."""
        caller.require_read()
        return insights.velocity(team=team, since=since)

    @router.post("/whatif")
    def whatif(
        caller: Caller,
        scenario: Annotated[dict[str, Any], Body(description="The scenario (docs/insights.md).")],
        source: Annotated[str, Query(max_length=300, description="File name for errors.")] = (
            "scenario"
        ),
    ) -> WhatIfReport:
        """Today's organisation and the scenario's side by side; nothing is saved or changed."""
        caller.require_read()
        return WhatIfReport.model_validate(insights.what_if(scenario, source=source))

    return router
