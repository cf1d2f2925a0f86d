"""HTTP ingest of exposures and events: ``POST /api/v1/events`` (thin: parse, check role, append).

The route is documented by a FastAPI endpoint (its signature and ``openapi_extra`` make the
OpenAPI description, bearer security included) and answered two ways:

- ``_Ingest.asgi``, a plain ASGI handler that ``kernel.plain.PlainRoutes`` calls in front of the
  middleware chain for ``POST /api/v1/events`` without a query string (every request the SDKs
  send).  It keeps what the chain gives the route: the body limit (``kernel.plain.read_body``),
  authentication with the kernel's ``current_principal``, the JSON guard's refusals (folded into
  the strict decode: ``parse_batch(..., guard=True)``) and the app's own exception handlers for
  every error (``kernel.plain.answer_error``).  The caller is authenticated before the body is
  examined (behind the chain, the guard looked at the body first).
- ``_Ingest.handle``, behind the chain (a request with a query string, or an app without
  ``PlainRoutes``), through a route class whose handler skips FastAPI's per-request machinery.

Every check of this route lives in ``_Ingest.decode`` and the ``decode_and_submit`` it calls, so
both ways answer alike (``tests/experiments/test_ingest_plain_route.py``).  The decode thread
hangs the request's one future on the sync of its batch, so the event loop is woken once per
request, when the batch is durable (or refused).

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
from dataclasses import dataclass
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.types import Receive, Scope, Send

from orgloop.experiments.errors import BatchRejected, BatchTooLarge
from orgloop.experiments.ingest.parsing import Batch, BatchRefused, IngestLimits, parse_batch
from orgloop.experiments.ingest.store import AppendResult, EventStore
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock, SystemClock
from orgloop.kernel.errors import Forbidden, InvalidInput, OrgloopError
from orgloop.kernel.http import Caller, current_principal
from orgloop.kernel.jsonguard import refusal
from orgloop.kernel.plain import Plain, Route, answer_error, read_body, send_json
from orgloop.kernel.settings import Settings

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


@dataclass(frozen=True)
class IngestRoutes:
    """The documented router, and the plain ASGI answer of the same route for ``PlainRoutes``."""

    router: APIRouter
    plain: dict[Route, Plain]


def build(
    *,
    store: EventStore,
    clock: Clock | None = None,
    limits: IngestLimits | None = None,
    check_exposures: CheckExposures | None = None,
    max_body_bytes: int = Settings.model_fields["max_request_bytes"].default,
) -> IngestRoutes:
    """The ingest route over one store: include ``router`` (documents the route, answers it with
    a query string) and give ``plain`` to ``kernel.plain.PlainRoutes`` (answers it otherwise).

    ``check_exposures`` is asked about a team member's batches (SDK keys and admins send any):
    the experiments service's ``require_exposure_writer``, wired in ``app.py``.
    ``max_body_bytes`` is the app's ``BodyLimit`` (``Settings.max_request_bytes``)."""
    ingest = _Ingest(
        store=store,
        clock=clock or SystemClock(),
        limits=limits or IngestLimits(),
        max_body_bytes=max_body_bytes,
    )
    ingest.check_exposures = check_exposures
    router, endpoint = _router(ingest)
    return IngestRoutes(router=router, plain={("POST", ROUTE): Plain(ingest.asgi, endpoint)})


def build_router(
    *,
    store: EventStore,
    clock: Clock | None = None,
    limits: IngestLimits | None = None,
    check_exposures: CheckExposures | None = None,
) -> APIRouter:
    """The ingest routes over one store, answered behind the middleware chain only; mount with
    ``app.include_router(...)``."""
    return build(store=store, clock=clock, limits=limits, check_exposures=check_exposures).router


ROUTE = "/api/v1/events"


def _router(ingest: _Ingest) -> tuple[APIRouter, Callable[..., Any]]:
    """The router, and the endpoint of its route (what ``PlainRoutes`` recognises it by)."""
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
    return router, post_events


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _answered_by(handler: Handler) -> type[APIRoute]:
    """A route class documented from its endpoint, whose requests go straight to ``handler``."""

    class PlainRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            return handler

    return PlainRoute


class _Ingest:
    """``POST /api/v1/events``: ``handle`` is the route, ``answer`` every check and the append."""

    def __init__(
        self, *, store: EventStore, clock: Clock, limits: IngestLimits, max_body_bytes: int
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.max_body_bytes = max_body_bytes
        self.decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-decode")
        self.check_exposures: CheckExposures | None = None

    async def handle(self, request: Request) -> Response:
        caller = await current_principal(request, await _BEARER(request))
        return _json(await self.answer(request, caller))

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route as a plain ASGI app, in front of the middleware chain (``PlainRoutes``):
        the body limit, authentication, the JSON guard's refusals (folded into ``parse_batch``)
        and the error answers are those the chain gives ``handle``."""
        body = await read_body(scope, receive, send, max_bytes=self.max_body_bytes)
        if body is None:
            return
        request = Request(scope, receive)
        try:
            caller = await current_principal(request, await _BEARER(request))
            _require_event_writer(caller)
            _require_json(request)
            content = await self.decode(body, caller)
        except Exception as exc:
            await answer_error(request, exc, send)
            return
        await send_json(send, content)

    async def answer(self, request: Request, caller: Principal) -> bytes:
        """The response body for one request by ``caller``; raises the request's error."""
        _require_event_writer(caller)
        _require_json(request)
        return await self.decode(await request.body(), caller)

    async def decode(self, body: bytes, caller: Principal) -> bytes:
        """Decode, check and append one body (the caller may send events); the answer's body.

        The event loop is woken once per request, when the sync that holds the batch is done
        (or the decode refused it): waking it also after the decode cost about a tenth of the
        GIL's time under load."""
        outcome: Future[tuple[Batch, AppendResult]] = Future()
        self.decoder.submit(self.decode_and_append, body, caller, outcome)
        batch, appended = await asyncio.wrap_future(outcome)
        result = _result(batch, accepted=appended.accepted, duplicates=appended.duplicates)
        return _ENCODER.encode(result)

    def decode_and_append(
        self, body: bytes, caller: Principal, outcome: Future[tuple[Batch, AppendResult]]
    ) -> None:
        """On the decode thread: settle ``outcome`` once the batch is synced, or refused."""
        if not outcome.set_running_or_notify_cancel():
            return  # the request was cancelled while it waited for the decoder
        try:
            batch, committed = self.decode_and_submit(body, caller)
        except BaseException as exc:  # the request's error, answered by the event loop
            outcome.set_exception(exc)
            return

        def settle(done: Future[AppendResult]) -> None:  # on the store's writer thread
            if done.cancelled():
                outcome.set_exception(asyncio.CancelledError())
            elif (error := done.exception()) is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result((batch, done.result()))

        committed.add_done_callback(settle)

    def decode_and_submit(
        self, body: bytes, caller: Principal
    ) -> tuple[Batch, Future[AppendResult]]:
        now = self.clock.now()
        try:
            batch = parse_batch(body, now=now, limits=self.limits, guard=True)
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
    if exc.poisoned:
        return refusal(exc.poisoned)  # as the JSON guard in front of every other route
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
