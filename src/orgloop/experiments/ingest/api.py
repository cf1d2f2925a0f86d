"""HTTP ingest of exposures and events: ``POST /api/v1/events`` (thin: parse, check role, append).

The body is read as bytes and decoded by ``parsing.parse_batch`` (not by FastAPI's pydantic body
model) because per-event pydantic objects would cost more than the whole append.  Decoding runs on
one thread per router: it holds the GIL, so more threads would only take turns (and delay the
event loop and the store's writer each time they swap).  The request then waits for the sync of
the ingest log that holds its batch without occupying a thread (``EventStore.submit``);
concurrent requests share one sync.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response

from orgloop.experiments.errors import BatchRejected, BatchTooLarge
from orgloop.experiments.ingest.parsing import Batch, BatchRefused, IngestLimits, parse_batch
from orgloop.experiments.ingest.store import AppendResult, EventStore
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock, SystemClock
from orgloop.kernel.errors import Forbidden, InvalidInput, OrgloopError
from orgloop.kernel.http import Caller

_ENCODER = msgspec.json.Encoder()

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


def build_router(
    *, store: EventStore, clock: Clock | None = None, limits: IngestLimits | None = None
) -> APIRouter:
    """The ingest routes over one store; mount with ``app.include_router(...)``."""
    clock = clock or SystemClock()
    limits = limits or IngestLimits()
    router = APIRouter(prefix="/api/v1", tags=["experiments"])
    decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-decode")

    def decode_and_submit(body: bytes, caller: Principal) -> tuple[Batch, Future[AppendResult]]:
        now = clock.now()
        try:
            batch = parse_batch(body, now=now, limits=limits)
        except BatchRefused as exc:
            raise _refusal(exc) from None
        return batch, store.submit(batch, received_at=now, environment=caller.environment)

    @router.post(
        "/events",
        summary="Record a batch of exposures and track events (idempotent by event id)",
        openapi_extra=_OPENAPI_BODY,
        responses={
            413: {"description": "batch too large"},
            415: {"description": "not JSON"},
            422: {"description": "all rejected"},
        },
    )
    async def post_events(request: Request, caller: Caller) -> Response:
        _require_event_writer(caller)
        _require_json(request)
        body = await request.body()
        loop = asyncio.get_running_loop()
        batch, committed = await loop.run_in_executor(decoder, decode_and_submit, body, caller)
        appended = await asyncio.wrap_future(committed)
        result = _result(batch, accepted=appended.accepted, duplicates=appended.duplicates)
        return Response(_ENCODER.encode(result), media_type="application/json")

    return router


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
