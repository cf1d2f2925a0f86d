"""Cross-origin access for the routes browsers call with a public key: the GrowthBook SDK endpoint
and OFREP.

A GrowthBook SDK in a web page loads ``{apiHost}/api/features/{clientKey}`` from the page's origin,
and an OFREP web provider posts ``/ofrep/v1/evaluate/flags`` with ``Authorization`` (which makes
the browser ask first, with ``OPTIONS``). Their credential is an SDK key, readable in any page that
uses it and limited to reading one environment's flags, and no cookie is involved, so any origin
may call them (``Access-Control-Allow-Origin: *``, as GrowthBook's own API answers). Every other
route keeps the browser's same-origin rule: the dashboard's cookie and the write API are never
offered to another origin.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_HEADERS = "authorization, content-type, x-api-key, if-none-match, cache-control"
MAX_AGE_SECONDS = 600
"""How long a browser may keep a preflight's answer."""


class PublicKeyCors:
    """CORS for requests whose path starts with one of ``prefixes``; other requests pass as they
    are. A preflight is answered here; other responses get the origin and exposed headers."""

    def __init__(self, app: ASGIApp, *, prefixes: Iterable[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:  # not a cross-origin request
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                        (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                        (b"access-control-max-age", str(MAX_AGE_SECONDS).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", b"etag"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
