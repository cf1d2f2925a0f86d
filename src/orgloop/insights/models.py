"""The insights wire models: reports as JSON (documented in docs/insights.md) and thresholds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Thresholds(BaseModel):
    """The distributed-monolith thresholds; every one can be changed per request.

    Extra fields are ignored: over HTTP they share the query string with ``team`` and ``since``
    (the CLI checks the names it sends).
    """

    min_co_deploy_degree: float = Field(50.0, ge=0, le=100, description="Lockstep: degree in %.")
    high_co_deploy_degree: float = Field(80.0, ge=0, le=100, description="Lockstep: high from.")
    min_shared_deploys: int = Field(
        3, ge=1, le=10_000, description="Lockstep: shared deploy windows."
    )
    deploy_window_minutes: int = Field(60, ge=1, le=10080, description="Lockstep: window size.")
    max_chain_depth: int = Field(
        4, ge=1, le=1_000, description="Deep chains: synchronous hops allowed."
    )
    min_teams_sharing_database: int = Field(
        2, ge=2, le=10_000, description="Shared persistence: teams."
    )
    max_calls_per_request: float = Field(
        10.0, gt=0, le=1e9, description="Chatty: calls per request received."
    )


class CallOut(BaseModel):
    source: str
    target: str
    rate: float
    synchronous: bool
    via: str | None


class NeedOut(BaseModel):
    teams: list[str]
    rate: float = Field(description="Calls between the two teams' services, both ways.")
    declared: str | None = Field(description="The declared interaction mode, or null.")
    calls: list[CallOut]


class TeamLoadOut(BaseModel):
    team: str
    fan_in: int
    fan_out: int
    calls_in: float
    calls_out: float
    services: int
    apis: int
    dependencies: int


class ConwayReport(BaseModel):
    source: str = Field(description="'traces' (observed call rates) or 'declared'.")
    congruence: float | None
    needs: int
    covered: int
    uncovered: list[NeedOut]
    declared_unused: list[list[str]]
    cross_team_share: float | None
    teams: list[TeamLoadOut]
    matrix: dict[str, Any] = Field(description="C_R and C_A for the heat map (<= 60 teams).")


class SignalOut(BaseModel):
    kind: str
    severity: str
    summary: str
    services: list[str]
    teams: list[str]
    evidence: dict[str, Any]
    threshold: dict[str, Any]


class MonolithReport(BaseModel):
    source: str
    deploys: int = Field(description="Deployment records read.")
    thresholds: Thresholds
    signals: list[SignalOut]


class TeamShapeOut(BaseModel):
    team: str
    unit: str | None
    people: int
    paths: int = Field(description="n(n-1)/2 communication paths.")
    over_size: bool
    functions: list[str]
    needs: list[str]
    lacks: list[str]
    can_ship_alone: bool
    n_tier: str | None = Field(description="The layer it owns across capabilities, or null.")
    capabilities: list[str]


class UnitShapeOut(BaseModel):
    unit: str
    teams: int
    people: int
    paths: int
    over_size: bool


class TeamShapeReport(BaseModel):
    team_size_limit: int
    unit_size_limit: int
    teams: list[TeamShapeOut]
    units: list[UnitShapeOut]


class VelocityMonth(BaseModel):
    month: str
    started: int
    decided: int


class TeamVelocityOut(BaseModel):
    team: str
    started: int
    decided: int
    median_days_to_decision: float | None
    shipped: float | None = Field(description="Share of decided experiments shipped.")
    killed: float | None
    inconclusive: float | None = Field(description="Share decided 'iterate'.")
    months: list[VelocityMonth]


class VelocityReport(BaseModel):
    since: str | None
    teams: list[TeamVelocityOut]


class WhatIfReport(BaseModel):
    scenario: str
    changes: int
    before: dict[str, Any] = Field(description="Today's numbers (see docs/insights.md).")
    after: dict[str, Any] = Field(description="The same numbers after the scenario's changes.")
    delta: dict[str, Any] = Field(description="after - before for the headline numbers.")
