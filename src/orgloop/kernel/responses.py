"""JSON responses that always render: stored text or numbers JSON cannot carry never cause a 500.

The door (``jsonguard``) refuses such values today, but rows written before it (or by another path)
may still hold a lone surrogate or a non-finite number.  ``SafeJSONResponse`` renders them as
valid RFC 8259 JSON instead of failing: a lone surrogate becomes U+FFFD (the replacement
character), a non-finite number becomes ``null``.  The fast path is Starlette's own rendering; the
repair runs only when that raises.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import Message, Send

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")

SECURITY_HEADERS = {
    # Everything comes from this server; the policy makes a stray CDN link fail loudly.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
"""Sent with every dashboard page and every error response (404, 500 and the rest)."""


class SafeJSONResponse(JSONResponse):
    """Starlette's JSON response, with a repair for unencodable text and non-finite numbers."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (UnicodeEncodeError, ValueError):
            log.warning("response held text or numbers JSON cannot carry; served them replaced")
            return super().render(repaired(content))


def repaired(value: Any) -> Any:
    """``value`` with lone surrogates replaced by U+FFFD and non-finite floats by ``None``."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {repaired(k): repaired(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [repaired(v) for v in value]
    return value


def safe_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (for HTML and other text responses)."""
    return _SURROGATE.sub("\ufffd", text)


def strict_json(value: Any, **options: Any) -> str:
    """``json.dumps`` that never writes ``NaN``/``Infinity`` (not RFC 8259): a value holding
    them, or lone surrogates, is written repaired (``null``, U+FFFD)."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        return json.dumps(repaired(value), allow_nan=False, **options)


class StartWatch:
    """An ASGI ``send`` that remembers whether the response has started (its headers went out):
    after that, an error can no longer be answered with a response of its own."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)
