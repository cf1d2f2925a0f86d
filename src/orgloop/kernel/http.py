"""The HTTP edge shared by every slice: one error shape, body limits, bearer-token auth."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import InvalidInput, OrgloopError, PayloadTooLarge, Unauthenticated
from orgloop.kernel.responses import SECURITY_HEADERS
from orgloop.kernel.responses import SafeJSONResponse as JSONResponse

log = logging.getLogger(__name__)

_STATUS_CODES: dict[int, Any] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "payload_too_large",
    415: "bad_request",
    422: "invalid_input",
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the server as ``{"error": {"code", "message", "details"}}``."""

    async def on_orgloop_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OrgloopError)
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

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "bad_request")
        err = OrgloopError(str(exc.detail), code=code, status=exc.status_code)
        headers = {**SECURITY_HEADERS, **(getattr(exc, "headers", None) or {})}
        return JSONResponse(err.to_dict(), status_code=exc.status_code, headers=headers)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        err = OrgloopError(
            "internal error; the server log has the details", code="internal_error", status=500
        )
        return JSONResponse(err.to_dict(), status_code=500, headers=SECURITY_HEADERS)

    app.add_exception_handler(OrgloopError, on_orgloop_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


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
        return f"request body is larger than the limit of {self.max_bytes} bytes"

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(PayloadTooLarge(self._message()).to_dict(), status_code=413)
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
    return authenticate(credentials.credentials)


Caller = Annotated[Principal, Depends(current_principal)]
"""Annotate a route parameter with this to receive the authenticated caller."""
