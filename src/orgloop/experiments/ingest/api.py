"""HTTP ingest of exposures and events: ``POST /api/v1/events`` (thin: parse, check role, append).

The route is documented by a FastAPI endpoint (its signature and ``openapi_extra`` make the
OpenAPI description, bearer security included) but answered by ``_Ingest.handle`` through a route
class whose handler skips FastAPI's per-request machinery (dependency resolution, the endpoint
wrapper), so the hot path is only what the route needs (measured: the same CPU per event within
the noise, bench/README.md).  ``handle`` authenticates with the kernel's own
``current_principal`` (what ``Caller`` resolves), so tokens, roles and errors are those of every
route; middleware (body limit, JSON guard) and the error handlers apply as to any route.  Every
check of this route lives in ``_Ingest.answer`` and the ``decode_and_submit`` it calls.

The body is decoded by ``parsing.parse_batch`` (not by FastAPI's pydantic body model) because
per-event pydantic objects would cost more than the whole append.  Decoding runs on one thread per
router: it holds the GIL, so more threads would only take turns (and delay the event loop and the
store's writer each time they swap).  The request then waits for the sync of the ingest log that
holds its batch without occupying a thread (``EventStore.submit``); concurrent requests share one
sync.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from orgloop.experiments.errors import BatchRejected, BatchTooLarge
from orgloop.experiments.ingest.parsing import Batch, BatchRefused, IngestLimits, parse_batch
from orgloop.experiments.ingest.store import AppendResult, EventStore
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock, SystemClock
from orgloop.kernel.errors import Forbidden, InvalidInput, OrgloopError
from orgloop.kernel.http import Caller, current_principal

_ENCODER = msgspec.json.Encoder()
_BEARER = HTTPBearer(auto_error=False)  # as ``Caller`` reads the token

_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["events"],
                    "properties": {"events": {"type": "array", "items": {"type": "object"}}},
                }
            }
        },
    }
}


CheckExposures = Callable[[Principal, set[str]], None]
"""Raises ``Forbidden`` unless the caller may send exposures of these experiments."""


def build_router(
    *,
    store: EventStore,
    clock: Clock | None = None,
    limits: IngestLimits | None = None,
    check_exposures: CheckExposures | None = None,
) -> APIRouter:
    """The ingest routes over one store; mount with ``app.include_router(...)``.

    ``check_exposures`` is asked about a team member's batches (SDK keys and admins send any):
    the experiments service's ``require_exposure_writer``, wired in ``app.py``."""
    ingest = _Ingest(store=store, clock=clock or SystemClock(), limits=limits or IngestLimits())
    ingest.check_exposures = check_exposures
    router = APIRouter(prefix="/api/v1", tags=["experiments"])

    # The OpenAPI description of the route; requests are answered by ``ingest.handle``.
    async def post_events(request: Request, caller: Caller) -> Response:
        return _json(await ingest.answer(request, caller))

    router.add_api_route(
        "/events",
        post_events,
        methods=["POST"],
        route_class_override=_answered_by(ingest.handle),
        summary="Record a batch of exposures and track events (idempotent by event id)",
        openapi_extra=_OPENAPI_BODY,
        responses={
            413: {"description": "batch too large"},
            415: {"description": "not JSON"},
            422: {"description": "all rejected"},
        },
    )
    return router


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _answered_by(handler: Handler) -> type[APIRoute]:
    """A route class documented from its endpoint, whose requests go straight to ``handler``."""

    class PlainRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            return handler

    return PlainRoute


class _Ingest:
    """``POST /api/v1/events``: ``handle`` is the route, ``answer`` every check and the append."""

    def __init__(self, *, store: EventStore, clock: Clock, limits: IngestLimits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-decode")
        self.check_exposures: CheckExposures | None = None

    async def handle(self, request: Request) -> Response:
        caller = await current_principal(request, await _BEARER(request))
        return _json(await self.answer(request, caller))

    async def answer(self, request: Request, caller: Principal) -> bytes:
        """The response body for one request by ``caller``; raises the request's error."""
        _require_event_writer(caller)
        _require_json(request)
        body = await request.body()
        loop = asyncio.get_running_loop()
        batch, committed = await loop.run_in_executor(
            self.decoder, self.decode_and_submit, body, caller
        )
        appended = await asyncio.wrap_future(committed)
        result = _result(batch, accepted=appended.accepted, duplicates=appended.duplicates)
        return _ENCODER.encode(result)

    def decode_and_submit(
        self, body: bytes, caller: Principal
    ) -> tuple[Batch, Future[AppendResult]]:
        now = self.clock.now()
        try:
            batch = parse_batch(body, now=now, limits=self.limits)
        except BatchRefused as exc:
            raise _refusal(exc) from None
        if caller.role == "member" and self.check_exposures is not None:
            self.check_exposures(caller, {e.experiment for e in batch.exposure_rows})
        return batch, self.store.submit(batch, received_at=now, environment=caller.environment)


def _json(content: bytes) -> Response:
    return Response(content, media_type="application/json")


def _require_event_writer(caller: Principal) -> None:
    if caller.role == "viewer":
        raise Forbidden("cannot record events: a viewer token is read-only")


def _require_json(request: Request) -> None:
    kind = request.headers.get("content-type", "application/json").lower()
    if "json" not in kind:
        raise OrgloopError(
            f"send the batch as JSON (Content-Type: application/json), not {kind!r}",
            code="bad_request",
            status=415,
        )


def _refusal(exc: BatchRefused) -> Exception:
    if exc.too_large:
        return BatchTooLarge(exc.reason, details={"path": exc.path})
    where = f"{exc.path}: " if exc.path else ""
    return InvalidInput(
        where + exc.reason, details={"errors": [{"path": exc.path, "message": exc.reason}]}
    )


def _result(batch: Batch, *, accepted: int, duplicates: int) -> dict[str, Any]:
    result = {
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": [r.to_dict() for r in batch.rejected],
    }
    if batch.size and batch.valid == 0:
        raise BatchRejected.from_result(result)
    return result
