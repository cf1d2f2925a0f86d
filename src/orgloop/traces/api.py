"""The traces REST resources under ``/api/v1/traces`` (thin: parse, call the service, return)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from orgloop.kernel.http import Caller
from orgloop.traces.models import EdgeDetail, PairingStats, ServiceGraph, TraceView, UnknownServices
from orgloop.traces.service import TraceService
from orgloop.traces.window import parse_since, parse_until

Since = Annotated[
    str | None,
    Query(description="Window start: a duration back from now (15m, 1h, 7d) or an ISO 8601 time"),
]
Until = Annotated[str | None, Query(description="Window end (ISO 8601 time; default: now)")]
Env = Annotated[str | None, Query(description="Only spans of this deployment environment")]


def build_router(*, traces: TraceService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/traces", tags=["traces"])

    @router.get("/graph")
    def get_graph(
        caller: Caller,
        since: Since = None,
        until: Until = None,
        service: Annotated[str | None, Query(description="Only edges touching it")] = None,
        env: Env = None,
    ) -> ServiceGraph:
        """The observed service graph (default: the last hour), nodes with owning teams."""
        caller.require_read()
        return traces.graph(
            since=parse_since(since), until=parse_until(until), service=service, env=env
        )

    @router.get("/edge")
    def get_edge(
        caller: Caller,
        client: Annotated[str, Query(description="The caller's service name")],
        server: Annotated[str, Query(description="The callee's service or virtual node name")],
        since: Since = None,
        until: Until = None,
        env: Env = None,
        step: Annotated[int | None, Query(ge=1, le=86_400, description="Seconds per point")] = None,
    ) -> EdgeDetail:
        """One edge's figures and their series over time."""
        caller.require_read()
        return traces.edge(
            client=client,
            server=server,
            since=parse_since(since),
            until=parse_until(until),
            env=env,
            step_seconds=step,
        )

    @router.get("/unknown-services")
    def get_unknown_services(caller: Caller) -> UnknownServices:
        """Services that send spans but that no catalog Component claims."""
        caller.require_read()
        return traces.unknown_services()

    @router.get("/pairing")
    def get_pairing(caller: Caller) -> PairingStats:
        """The pairing store: halves waiting, paired, expired and dropped since start."""
        caller.require_read()
        return traces.pairing_stats()

    @router.get("/{trace_id}")
    def get_trace(trace_id: str, caller: Caller) -> TraceView:
        """Every stored span of one trace (32 hex digits), in start order."""
        caller.require_read()
        return traces.trace(trace_id)

    return router
