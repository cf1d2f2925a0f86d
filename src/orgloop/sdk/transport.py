"""The SDK's HTTP side: fetch the ruleset with its ETag, read the event stream, send events.

Only httpx; every failure is returned or raised as ``SdkError`` so the client can log it and carry
on with what it has.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx

from orgloop.sdk.errors import SdkError

USER_AGENT = "orgloop-sdk-python"


class Http:
    """One httpx client bound to an orgloop server and an SDK key."""

    def __init__(
        self,
        url: str,
        sdk_key: str,
        *,
        environment: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {sdk_key}", "User-Agent": USER_AGENT}
        self._params = {"environment": environment} if environment else {}
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def fetch_ruleset(self, etag: str | None) -> tuple[Any, str | None] | None:
        """``(payload, etag)``, or None when the server says the ruleset is unchanged (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = self._http.get("/api/v1/sdk/ruleset", params=self._params, headers=headers)
        except httpx.HTTPError as exc:
            raise SdkError(f"cannot fetch the ruleset ({exc.__class__.__name__}: {exc})") from exc
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise SdkError(f"ruleset request answered HTTP {response.status_code}")
        try:
            return response.json(), response.headers.get("etag")
        except (ValueError, RecursionError) as exc:  # a deeply nested body overflows the stack
            raise SdkError(
                f"the ruleset response is not usable JSON ({exc.__class__.__name__})"
            ) from exc

    def stream(self, read_timeout: float) -> Iterator[tuple[str, str]]:
        """``(event, data)`` pairs of the server-sent event stream, until it breaks."""
        timeout = httpx.Timeout(self._timeout, read=read_timeout)
        try:
            with self._http.stream(
                "GET", "/api/v1/sdk/stream", params=self._params, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    raise SdkError(f"event stream answered HTTP {response.status_code}")
                yield from parse_sse(response.iter_lines())
        except httpx.HTTPError as exc:
            raise SdkError(f"event stream broke ({exc.__class__.__name__})") from exc

    def send_events(self, events: list[dict[str, Any]], timeout: float | None = None) -> int:
        """POST one batch; the HTTP status (0 when the server could not be reached or did not
        answer in ``timeout`` seconds, default the client's)."""
        limit = self._timeout if timeout is None else max(min(timeout, self._timeout), 0.001)
        try:
            response = self._http.post("/api/v1/events", json={"events": events}, timeout=limit)
        except httpx.HTTPError:
            return 0
        return response.status_code

    def close(self) -> None:
        self._http.close()


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """Server-sent events from text lines (comments, ``retry`` and ids are ignored)."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
        elif line.startswith(":"):
            yield "heartbeat", ""
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


TRANSIENT = frozenset({0, 408, 429, 502, 503, 504})
"""Statuses of a server that is away or overloaded (0: unreachable or silent): the batch waits
for it, however long, in the bounded buffer."""

Outcome = Literal["sent", "rejected", "failed", "unreachable", "interrupted"]


def send_with_retry(
    send: Callable[[list[dict[str, Any]], float | None], int],
    batch: list[dict[str, Any]],
    *,
    attempts: int,
    base_delay: float,
    stop: Callable[[float], bool],
    deadline: float | None = None,
) -> Outcome:
    """``sent``; ``rejected`` (a 4xx other than 408/429: retrying cannot help); ``failed`` (the
    server answered another error every time); ``unreachable`` (the last attempt found the
    server away: the caller keeps the batch); ``interrupted`` (``stop`` or ``deadline`` ended the
    retries: the caller keeps the batch).

    Waits ``base_delay * 2**n`` (capped at 60 s, with jitter) between attempts; ``stop(delay)``
    waits and returns True when the client is closing. With a ``deadline`` (a ``time.monotonic``
    value) no attempt waits for an answer past it, and no retry starts after it.
    """
    status = 0
    for attempt in range(attempts):
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return "interrupted"
        status = send(batch, remaining)
        if 200 <= status < 300:
            return "sent"
        if 400 <= status < 500 and status not in TRANSIENT:
            return "rejected"
        if attempt + 1 < attempts:
            delay = min(base_delay * 2**attempt, 60.0) * random.uniform(0.5, 1.0)
            if deadline is not None and time.monotonic() + delay >= deadline:
                return "interrupted"
            if stop(delay):
                return "interrupted"
    return "unreachable" if status in TRANSIENT else "failed"
