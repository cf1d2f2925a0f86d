"""The OTLP/HTTP receiver: ``POST /v1/traces`` (thin: authenticate, decode, ingest, reply).

Replies as the OTLP/HTTP specification says, in the request's encoding: 200 with an
``ExportTraceServiceResponse`` (``partial_success`` set only when spans were rejected); errors
as a ``google.rpc.Status`` with 400 (malformed, do not retry), 401/403, 413 (too large), 415
(unknown Content-Type, answered in JSON), and 429/503 with ``Retry-After`` under back-pressure.
Decoding runs on one thread (it holds the GIL); the reply waits for the store's commit without
holding a thread.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request, Response

from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Forbidden, OrgloopError, Unauthenticated
from orgloop.kernel.http import audit_refusal
from orgloop.traces import decoding
from orgloop.traces.errors import Overloaded
from orgloop.traces.models import IngestSummary
from orgloop.traces.service import TraceService

log = logging.getLogger(__name__)

#: HTTP status -> gRPC status code for the Status body.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}

_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An OTLP ExportTraceServiceRequest (protobuf, or the OTLP JSON mapping)",
        "content": {
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


def build_router(*, traces: TraceService, max_bytes: int = 16 * 1024 * 1024) -> APIRouter:
    router = APIRouter(tags=["traces"])
    decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="otlp-decode")

    def work(
        body: bytes, content_encoding: str | None, encoding: decoding.Encoding, caller: Principal
    ) -> tuple[IngestSummary, Future[None]]:
        raw = decoding.inflate(body, content_encoding, max_bytes=max_bytes)
        export = decoding.decode(raw, encoding)
        stored = raw if encoding == "protobuf" else None
        return traces.ingest(export, environment=caller.environment, raw=stored)

    @router.post(
        "/v1/traces",
        summary="OTLP/HTTP trace export (protobuf or JSON, optionally gzip)",
        openapi_extra=_OPENAPI,
        responses={
            200: {"description": "ExportTraceServiceResponse, partial_success when rejected"},
            400: {"description": "malformed export (google.rpc.Status); do not retry"},
            413: {"description": "body or export over the limit"},
            415: {"description": "Content-Type is neither protobuf nor JSON"},
            429: {"description": "one sender floods; retry after Retry-After"},
            503: {"description": "the store is behind; retry after Retry-After"},
        },
    )
    async def export_traces(request: Request) -> Response:
        try:
            encoding = decoding.encoding_of(request.headers.get("content-type"))
        except OrgloopError as exc:
            return _error(exc, "json")
        try:
            caller = _authenticate(request)
            body = await request.body()
            loop = asyncio.get_running_loop()
            summary, committed = await loop.run_in_executor(
                decoder, work, body, request.headers.get("content-encoding"), encoding, caller
            )
            await asyncio.wrap_future(committed)
        except _Refused as exc:
            await audit_refusal(request, exc.principal, exc)
            return _error(exc, encoding)
        except OrgloopError as exc:
            return _error(exc, encoding)
        except Exception:
            log.exception("storing spans failed")
            return _error(Overloaded("could not store the spans; retry later"), encoding)
        content, media = decoding.response(summary.rejected, summary.message, encoding)
        return Response(content, media_type=media)

    return router


def _authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "send an SDK key or a token: 'Authorization: Bearer <token>' "
            "(OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20<token>')"
        )
    principal: Principal = request.app.state.authenticate(token.strip())
    if principal.role == "viewer":
        raise _Refused(principal, "cannot send spans: a viewer token is read-only; use an SDK key")
    return principal


class _Refused(Forbidden):
    """A 403 that knows its caller, so that the route can audit it."""

    def __init__(self, principal: Principal, message: str) -> None:
        super().__init__(message)
        self.principal = principal


def _error(exc: OrgloopError, encoding: decoding.Encoding) -> Response:
    content, media = decoding.status(_GRPC_CODES.get(exc.status, 2), exc.message, encoding)
    headers = {}
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(content, status_code=exc.status, media_type=media, headers=headers)
