"""Hot routes answered before the middleware chain, each keeping what the chain gives it.

Every request crosses the app's middleware (``BodyLimit``, ``JsonGuard``, ``AnswerUnexpected``,
Starlette's exception middleware: each body chunk and each response message passes through all of
them) and then the router, which tries the routes' patterns one by one.  For a route that takes
hundreds of requests a second with large bodies (event ingest), that is a good share of the
server's CPU.  ``PlainRoutes``, added last (so outermost of the app's own middleware), hands a
request whose method and path equal a registered pair, without a query string, straight to a
plain ASGI handler, as long as the app's router would have chosen the route that documents it
(``Plain.endpoint``; decided at the first such request); every other request, the same path with
another method included (405), goes through the app as before.

A plain handler must give the answers the chain would give it, and the helpers here do that:

- ``read_body``: the body limit, answered as ``BodyLimit`` answers it (413, from Content-Length
  before reading, or as soon as the chunks go over the limit);
- ``answer_error``: an exception becomes the response the app's exception handlers make of it
  (the kernel's error shape, the audit of a 403, the challenge of a 401, a 500 logged), and a body
  nested too deeply the 400 ``JsonGuard`` answers;
- the JSON guard's refusals are the handler's own business: its decoding must refuse what
  ``jsonguard.problems`` finds, with ``jsonguard.refusal`` (query strings, the guard's other
  concern, never take the plain path).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from orgloop.kernel import jsonguard
from orgloop.kernel.http import refuse_body

Route = tuple[str, str]
"""(method, path), e.g. ``("POST", "/api/v1/events")``."""


@dataclass(frozen=True)
class Plain:
    """A plain handler, and the endpoint of the app's route that documents the same route."""

    handler: ASGIApp
    endpoint: Callable[..., Any]
    """The plain handler answers only while the app's router would choose this endpoint's route
    for the request: a route put in front of it (a test's stand-in) takes the requests over."""


class PlainRoutes:
    """ASGI middleware: the registered (method, path) pairs go to their handler, the rest on."""

    def __init__(self, app: ASGIApp, *, routes: Mapping[Route, Plain]) -> None:
        self.app = app
        self.routes = dict(routes)
        self._chosen: dict[Route, ASGIApp | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            key = (scope["method"], scope["path"])
            if key in self.routes:
                if key not in self._chosen:
                    self._chosen[key] = self._choose(key, scope)
                handler = self._chosen[key]
                if handler is not None:
                    await handler(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _choose(self, key: Route, scope: Scope) -> ASGIApp | None:
        """The plain handler if the app's router picks the documenting route, else None."""
        plain = self.routes[key]
        chosen = _first_match(getattr(scope.get("app"), "router", None), dict(scope))
        return plain.handler if getattr(chosen, "endpoint", None) is plain.endpoint else None


def _first_match(router: object, probe: Scope) -> object | None:
    """The route ``router`` would answer ``probe`` with, looking into included routers (FastAPI
    keeps them whole); None if that cannot be told, which leaves the request to the app."""
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(probe)
        if match is Match.FULL:
            inner = getattr(route, "original_router", None)  # FastAPI's included router
            return route if inner is None else _first_match(inner, probe)
    return None


async def read_body(scope: Scope, receive: Receive, send: Send, *, max_bytes: int) -> bytes | None:
    """The whole request body; None if it was refused (the 413 is sent) or the client left."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            if value.isdigit() and int(value) > max_bytes:
                await refuse_body(send, max_bytes)
                return None
            break
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away: nothing to answer
        chunk: bytes = message.get("body", b"")
        seen += len(chunk)
        if seen > max_bytes:
            await refuse_body(send, max_bytes)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


async def answer_error(request: Request, exc: Exception, send: Send) -> None:
    """Answer ``exc`` as the app would have, had it been raised by a route behind the chain."""
    if isinstance(exc, RecursionError):
        await jsonguard.respond(jsonguard.TOO_DEEP, send, status=400)
        return
    handler = _handler_for(request, exc)
    if handler is None:
        raise exc
    if inspect.iscoroutinefunction(handler):
        response = await handler(request, exc)
    else:
        response = await run_in_threadpool(handler, request, exc)
    assert isinstance(response, Response)
    await response(request.scope, request.receive, send)


def _handler_for(request: Request, exc: Exception) -> Handler | None:
    """The app's handler for ``exc``: the one registered for its nearest class (as Starlette)."""
    handlers: dict[object, Handler] = getattr(request.app, "exception_handlers", {})
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def send_json(send: Send, content: bytes) -> None:
    """A 200 with a JSON body, as ``Response(content, media_type="application/json")`` sends it."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(content)).encode()),
                (b"content-type", b"application/json"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
