"""Text and numbers JSON cannot carry are refused at the door, for every endpoint.

``JsonGuard`` is an ASGI middleware in front of every route.  It refuses, with 422 and the field
path, a JSON body holding a lone surrogate (``"\\ud800"``), a NUL character, or a number JSON
cannot carry (``NaN``, ``Infinity``, ``1e400``), and a query parameter or URL path holding a NUL.
Such values cannot be stored on PostgreSQL, nor served back as UTF-8 or RFC 8259 JSON.  A route
that meets a body nested deeper than Python recurses answers 400 instead of 500.

It stays cheap on the hot paths: a few scans of the raw bytes, each led by a rare character, and
only when one hits, a full decode and walk to name the field.  The scans over-approximate (an
escaped backslash before ``u``, or ``NaN`` inside a string, also hits); the decode decides.

Event ingest (``POST /api/v1/events``) is answered before the middleware chain
(``kernel.plain``) and gives the same answers another way: its strict decode already refuses
``NaN``, lone surrogates and huge numbers in its typed fields, so it scans only for what that
decode lets through (``suspect`` on the properties, a NUL escape) and runs ``problems`` when the
decode fails or a scan hits (``experiments/ingest/parsing.py``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgloop.kernel.errors import InvalidInput, OrgloopError
from orgloop.kernel.responses import SECURITY_HEADERS, SafeJSONResponse, StartWatch

_END = rb"(?=[\s,\]}])"  # what may follow a number token (so "e100" inside an id is no hit)
# Several simple scans, each led by a rare character, beat one alternation by far (re skips
# ahead to the leading character only when a pattern starts with a literal or a small set).
_SCANS = (
    re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)"),  # a surrogate or NUL escape (paired ones: below)
    re.compile(rb"NaN" + _END),
    re.compile(rb"Infinity" + _END),
    re.compile(rb"\.(?<=[0-9]{309}\.)"),  # 309 digits before the point: beyond a double
)
_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_SURROGATE_OR_NUL = re.compile("[\ud800-\udfff\x00]")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _NonFinite:
    def __init__(self, literal: str) -> None:
        self.literal = literal


def problems(body: bytes) -> list[dict[str, str]]:
    """Each poisoned value of a JSON document, as ``{"path", "message"}``; ``[]`` when clean.

    A document that does not decode has no problem here (FastAPI's decoder reports it).
    """
    if not _suspect(body):
        return []
    try:
        document = json.loads(body, parse_constant=_NonFinite)
    except (ValueError, RecursionError):
        return []
    return _walk(document)


def suspect(body: bytes) -> bool:
    """Whether ``problems`` could find anything in ``body`` (cheap scans; False means clean)."""
    return _suspect(body)


def _suspect(body: bytes) -> bool:
    for scan in _SCANS:
        if scan.search(body):
            # Surrogate pairs (how many encoders write an emoji) are the common harmless hit.
            return scan is not _SCANS[0] or bool(_SCANS[0].search(_PAIR.sub(b"", body)))
    return _huge_exponent(body)


_ZEROS = bytes.maketrans(b"123456789E", b"000000000e")
_NUMBER_END = frozenset(b",]} \t\r\n")


def _huge_exponent(body: bytes) -> bool:
    """A number with an exponent of three digits or more (``1e400``): it may not fit a double.

    A regular expression led by ``[eE]`` stops at every "e" of the text; finding ``e000`` in a
    copy whose digits are all ``0`` is several times faster, and the few hits (hex ids) are
    checked by hand: a digit before the ``e``, and the end of a number after the exponent.
    """
    zeroed = body.translate(_ZEROS)
    for probe in (b"e000", b"e+000"):
        start = zeroed.find(probe)
        while start != -1:
            end = start + len(probe)
            if start and zeroed[start - 1] == 0x30:
                while end < len(zeroed) and zeroed[end] == 0x30:
                    end += 1
                if end == len(zeroed) or zeroed[end] in _NUMBER_END:
                    return True
            start = zeroed.find(probe, end)
    return False


def _walk(document: Any) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack and len(found) < 20:
        path, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE_OR_NUL.search(value):
                found.append({"path": path, "message": _text_problem(value)})
        elif isinstance(value, _NonFinite):
            found.append({"path": path, "message": _number_problem(value.literal)})
        elif isinstance(value, float) and not math.isfinite(value):
            found.append({"path": path, "message": _number_problem("out of range")})
        elif isinstance(value, dict):
            for key, item in value.items():
                name = key.encode("utf-8", "backslashreplace").decode("utf-8", "replace")
                where = f"{path}.{name}" if path else name
                if _SURROGATE_OR_NUL.search(key):
                    found.append({"path": where, "message": "the key " + _text_problem(key)})
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    found.sort(key=lambda p: p["path"])
    return found


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which cannot be stored"
    return "holds a lone UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode text"


def _number_problem(literal: str) -> str:
    return f"is not a finite number ({literal}); JSON carries only finite numbers"


def query_problems(query_string: bytes) -> list[dict[str, str]]:
    """Each query parameter holding a NUL character."""
    if b"%00" not in query_string and b"\x00" not in query_string:
        return []
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return [
        {"path": name, "message": _text_problem("\x00")}
        for name, value in pairs
        if "\x00" in name or "\x00" in value
    ]


def _path_problems(scope: Scope) -> list[dict[str, str]]:
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
    if b"%00" in raw or b"\x00" in raw:
        return [{"path": "(URL path)", "message": _text_problem("\x00")}]
    return []


def refusal(found: list[dict[str, str]]) -> InvalidInput:
    """The 422 naming the first problem (all of them in ``details.errors``)."""
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return InvalidInput(f"{first['path']}: {first['message']}{more}", details={"errors": found})


class JsonGuard:
    """Refuses poisoned JSON bodies and query parameters with 422, for every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = query_problems(scope.get("query_string") or b"") + _path_problems(scope)
        if not found and scope["method"] in _WRITES and _is_json(scope):
            body, more = await _read_body(receive)
            found = problems(body)
            receive = _replay(body, more, receive)
        if found:
            await respond(refusal(found), send)
            return
        watched = StartWatch(send)
        try:
            await self.app(scope, receive, watched)
        except RecursionError:
            # A route that decodes or walks its body itself met a document nested deeper
            # than Python recurses: the sender's mistake, not a defect.
            if watched.started:
                raise
            await respond(TOO_DEEP, send, status=400)


def _is_json(scope: Scope) -> bool:
    """A JSON body, or one sent without a Content-Type (routes that read raw bytes take those)."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return b"json" in value.lower()
    return True


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body; and a non-body message that arrived instead (a disconnect), if any."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, other: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if other is not None:
                return other
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


TOO_DEEP = OrgloopError(
    "the request body is nested too deeply to read (keep JSON under a few hundred levels)",
    code="bad_request",
)


async def respond(error: OrgloopError, send: Send, *, status: int | None = None) -> None:
    """Send ``error`` as the guard answers it (its status unless ``status``), security headers
    included."""
    response = SafeJSONResponse(
        error.to_dict(), status_code=status or error.status, headers=SECURITY_HEADERS
    )
    await response({"type": "http"}, _disconnected, send)


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}
