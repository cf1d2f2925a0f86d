"""The experiments REST resources (thin: parse, call the service, return its models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from orgloop.experiments.models import (
    Alert,
    Decision,
    DecisionIn,
    Experiment,
    ExperimentCreate,
    ExperimentPage,
    LearningPage,
    Status,
    Velocity,
)
from orgloop.experiments.service import ExperimentService
from orgloop.kernel.http import Caller, Offset

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]


_WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not the experiment's owning team (nor an admin); audited."},
}
_MOVED: dict[int | str, dict[str, Any]] = {
    **_WRITE,
    409: {"description": "The experiment is not in a state this applies to (or a concurrent "
          "request moved it first)."},
}  # fmt: skip


def build_router(*, experiments: ExperimentService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["experiments"])
    _experiment_routes(router, experiments)
    _lifecycle_routes(router, experiments)
    _analysis_routes(router, experiments)
    _decision_routes(router, experiments)
    _learning_routes(router, experiments)
    return router


def _experiment_routes(router: APIRouter, experiments: ExperimentService) -> None:
    @router.post("/experiments", status_code=201)
    def create_experiment(body: ExperimentCreate, caller: Caller) -> Experiment:
        """Plan an experiment; the planned sample size comes from ``plan`` (baseline and MDE)."""
        return experiments.create(body, actor=caller)

    @router.get("/experiments")
    def list_experiments(
        caller: Caller,
        team: str | None = None,
        status: Status | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ExperimentPage:
        caller.require_read()
        return experiments.list_experiments(team=team, status=status, limit=limit, offset=offset)

    @router.get("/experiments/{key}")
    def get_experiment(key: str, caller: Caller) -> Experiment:
        caller.require_read()
        return experiments.get(key)


def _lifecycle_routes(router: APIRouter, experiments: ExperimentService) -> None:
    @router.post("/experiments/{key}/start", responses=_MOVED)
    def start_experiment(key: str, caller: Caller) -> Experiment:
        return experiments.start(key, actor=caller)

    @router.post("/experiments/{key}/stop", responses=_MOVED)
    def stop_experiment(key: str, caller: Caller) -> Experiment:
        return experiments.stop(key, actor=caller)


def _analysis_routes(router: APIRouter, experiments: ExperimentService) -> None:
    @router.get("/experiments/{key}/analysis")
    def read_analysis(
        key: str,
        caller: Caller,
        until: Annotated[
            datetime | None,
            Query(
                description="Analyse the data as it stood then: exposures and events before "
                "this time (RFC 3339 with an offset). Default: all data up to the stop."
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Analyse now from the event store; nothing is recorded."""
        caller.require_read()
        return experiments.analyse(key, actor=caller, until=until)

    @router.post("/experiments/{key}/analysis", responses=_WRITE)
    def record_analysis(key: str, caller: Caller) -> dict[str, Any]:
        """Analyse now, keep the snapshot, and raise alerts (SRM, guardrail breach).

        Needs write access to the experiment (its owning team or an admin): an alert can kill
        the experiment's flag (``auto_kill_environments``)."""
        return experiments.analyse(key, actor=caller, record=True)

    @router.get("/experiments/{key}/alerts")
    def list_alerts(key: str, caller: Caller) -> list[Alert]:
        caller.require_read()
        return experiments.alerts(key)


def _decision_routes(router: APIRouter, experiments: ExperimentService) -> None:
    @router.post("/experiments/{key}/decision", status_code=201, responses=_MOVED)
    def decide(key: str, body: DecisionIn, caller: Caller) -> Decision:
        """Ship, kill or iterate, with the analysis it was made on kept as evidence."""
        return experiments.decide(key, body, actor=caller)


def _learning_routes(router: APIRouter, experiments: ExperimentService) -> None:
    @router.get("/learnings")
    def learnings(
        caller: Caller,
        team: str | None = None,
        q: Annotated[str | None, Query(description="Words to find in any field.")] = None,
    ) -> LearningPage:
        """The learning log: every experiment's hypothesis, result and decision."""
        caller.require_read()
        return experiments.learnings(team=team, q=q)

    @router.get("/experiments-velocity")
    def velocity(caller: Caller, team: str | None = None) -> Velocity:
        """Experiments started and decided per month, and days from start to decision."""
        caller.require_read()
        return experiments.velocity(team=team)
