"""The HTTP edge shared by every slice: one error shape, body limits, bearer-token auth."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgloop.kernel.auth import Principal
from orgloop.kernel.db import is_unique_violation, unique_conflict
from orgloop.kernel.errors import InvalidInput, OrgloopError, PayloadTooLarge, Unauthenticated
from orgloop.kernel.responses import SECURITY_HEADERS, StartWatch
from orgloop.kernel.responses import SafeJSONResponse as JSONResponse

log = logging.getLogger(__name__)
T = TypeVar("T")

_STATUS_CODES: dict[int, Any] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "bad_request",
    422: "invalid_input",
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the server as ``{"error": {"code", "message", "details"}}``."""

    async def on_orgloop_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OrgloopError)
        if exc.status == 403:
            await _audit_denial(request, exc)
        challenge = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        headers = {**SECURITY_HEADERS, **challenge}
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        malformed = _malformed_json(exc.errors())
        if malformed is not None:
            return JSONResponse(malformed.to_dict(), status_code=400, headers=SECURITY_HEADERS)
        errors = [
            {
                "path": _path(err.get("loc", ())),
                "message": str(err.get("msg", "")),
                "type": err.get("type"),
            }
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"path": "", "message": "invalid request"}
        summary = f"{first['path']}: {first['message']}" + (
            f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        )
        return JSONResponse(
            InvalidInput(summary, details={"errors": errors}).to_dict(),
            status_code=422,
            headers=SECURITY_HEADERS,
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "bad_request")
        err = OrgloopError(str(exc.detail), code=code, status=exc.status_code)
        headers = {**SECURITY_HEADERS, **(getattr(exc, "headers", None) or {})}
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse(err.to_dict(), status_code=exc.status_code, headers=headers)

    async def on_integrity_error(request: Request, exc: Exception) -> JSONResponse:
        # Writes go through ``Database.transaction``, which turns duplicate keys into 409; this
        # catches one raised anywhere else, so that a race is never a 500.
        assert isinstance(exc, sa.exc.IntegrityError)
        if not is_unique_violation(exc):
            return await on_unexpected(request, exc)
        return await on_orgloop_error(request, unique_conflict(exc))

    async def on_data_error(_request: Request, exc: Exception) -> JSONResponse:
        # A value the schema let through that the database refuses (PostgreSQL checks string
        # widths and integer ranges, SQLite does not): the sender's 422, never a 500.
        log.warning("the database refused a value: %s", exc)
        err = InvalidInput(
            "a value is too long or out of range for where it is stored",
            details={"errors": [{"path": "", "message": str(getattr(exc, "orig", exc))[:200]}]},
        )
        return JSONResponse(err.to_dict(), status_code=422, headers=SECURITY_HEADERS)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        err = OrgloopError(
            "internal error; the server log has the details", code="internal_error", status=500
        )
        return JSONResponse(err.to_dict(), status_code=500, headers=SECURITY_HEADERS)

    app.add_exception_handler(OrgloopError, on_orgloop_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(sa.exc.IntegrityError, on_integrity_error)
    app.add_exception_handler(sa.exc.DataError, on_data_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(AnswerUnexpected)


def _allowed_methods(request: Request) -> str | None:
    """Every method the API document lists for this path (routing stops at the first route
    whose path matches, so its 405 names only that route's methods)."""
    if request.app.openapi_url is None:
        return None
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations if m.isalpha()}
    return ", ".join(sorted(methods)) or None


def _malformed_json(errors: Any) -> OrgloopError | None:
    """A body that is not JSON at all is a 400 (docs/errors.md), not a field's 422."""
    for err in errors:
        if err.get("type") == "json_invalid":
            where = err.get("loc", ())
            position = where[-1] if where and isinstance(where[-1], int) else None
            at = f" at character {position}" if position is not None else ""
            reason = (err.get("ctx") or {}).get("error") or "not valid JSON"
            return OrgloopError(
                f"the request body is not valid JSON{at}: {reason}",
                code="bad_request",
                status=400,
                details={"position": position},
            )
    return None


def _path(loc: Any) -> str:
    """``("body", "rules", 2, "weights")`` -> ``rules[2].weights``."""
    parts = [p for p in loc if p not in ("body", "query", "path")] if loc else []
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, before they are buffered whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        exceeded = False
        refused = False

        async def limited() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(self._message())
            return message

        async def guarded_send(message: Message) -> None:
            # A route (or FastAPI's body parser) may turn the refusal into its own error
            # response; once the body went over the limit, the answer is 413 whatever it says.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        try:
            await self.app(scope, limited, guarded_send)
        except PayloadTooLarge:
            if not refused:
                refused = True
                await self._refuse(send)

    def _message(self) -> str:
        return body_too_large(self.max_bytes)

    async def _refuse(self, send: Send) -> None:
        await refuse_body(send, self.max_bytes)


def body_too_large(max_bytes: int) -> str:
    """The message of the 413 for a body over ``max_bytes``."""
    return f"request body is larger than the limit of {max_bytes} bytes"


async def refuse_body(send: Send, max_bytes: int) -> None:
    """``BodyLimit``'s answer to a body over ``max_bytes``: 413 in the kernel's error shape."""
    response = JSONResponse(PayloadTooLarge(body_too_large(max_bytes)).to_dict(), status_code=413)
    await response({"type": "http"}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


_bearer = HTTPBearer(auto_error=False)

Authenticate = Callable[[str], Principal]


def install_authentication(app: FastAPI, authenticate: Authenticate) -> None:
    """Tell ``current_principal`` how this app resolves a bearer token."""
    app.state.authenticate = authenticate


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of this request, from its bearer token."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("send a token: 'Authorization: Bearer <token>' (see 'orgloop login')")
    authenticate: Authenticate = request.app.state.authenticate
    principal = authenticate(credentials.credentials)
    request.state.principal = principal  # for the audit of a refusal (``_audit_denial``)
    return principal


RecordDenial = Callable[[Principal, str, str], None]
"""Records a refused request in the audit log: (caller, "METHOD /path", the refusal's message)."""


def install_denial_audit(app: FastAPI, record: RecordDenial) -> None:
    """Every 403 of this app is audited with ``record`` (``AuditLog.record_denied``)."""
    app.state.record_denial = record


async def _audit_denial(request: Request, exc: OrgloopError) -> None:
    record: RecordDenial | None = getattr(request.app.state, "record_denial", None)
    principal: Principal | None = getattr(request.state, "principal", None)
    if record is None or principal is None:
        return
    where = f"{request.method} {request.url.path}"
    try:
        await run_in_threadpool(record, principal, where, exc.message)
    except Exception:  # the refusal is answered even if its audit cannot be written
        log.exception("could not audit the refusal of %s", where)


async def audit_refusal(request: Request, principal: Principal, exc: OrgloopError) -> None:
    """Audit a 403 that a route answers itself (in its own protocol's shape) as every other."""
    request.state.principal = principal
    await _audit_denial(request, exc)


Caller = Annotated[Principal, Depends(current_principal)]
"""Annotate a route parameter with this to receive the authenticated caller."""

MAX_INTEGER = 2**31 - 1
"""The largest integer a query or path parameter takes: what every database column holds (a
larger one would be a 500 from the driver; it is a 422 instead)."""

Offset = Annotated[int, Query(ge=0, le=MAX_INTEGER, description="Items to skip.")]
"""The ``offset`` of every paged listing."""

IfMatch = Annotated[
    str | None,
    Header(
        description="The ETag the resource had when read (from GET): the write is applied only "
        "if it is still that version, else 412. Without it, the last writer wins."
    ),
]
"""A route parameter for ``If-Match`` (checked by the service with ``etags.check_if_match``)."""

ETAG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": {"description": "The version: send it back as If-Match."}}},
}
IF_MATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ETAG_RESPONSES,
    412: {"description": "If-Match names an older version: someone changed it since it was read."},
}


def with_etag(response: Response, value: T, etag: Callable[[T], str]) -> T:
    """Set ``value``'s ``ETag`` header (``etag`` computes it) on the response; return the value."""
    response.headers["ETag"] = etag(value)
    return value


class AnswerUnexpected:
    """Answers an unexpected error with the one 500 shape, and keeps the connection open.

    Starlette's outermost middleware renders a 500 too, but then re-raises, and the server,
    seeing an exception after a response started, closes the keep-alive connection under the
    client's next request.  Here the error ends with its answer.  An error after a response
    started (a broken stream) still propagates: that response cannot be completed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = StartWatch(send)
        try:
            await self.app(scope, receive, watched)
        except RecursionError:
            raise  # a body nested too deeply: the sender's mistake, answered by ``JsonGuard``
        except Exception as exc:
            if watched.started:
                raise
            log.exception("unexpected error", exc_info=exc)
            err = OrgloopError(
                "internal error; the server log has the details", code="internal_error", status=500
            )
            response = JSONResponse(err.to_dict(), status_code=500, headers=SECURITY_HEADERS)
            await response(scope, receive, send)
