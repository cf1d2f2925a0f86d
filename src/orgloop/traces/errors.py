"""The errors the traces slice raises; all are kernel error types.

Exception hierarchy::

    OrgloopError
    ├── NotFound (404)
    │   └── TraceNotFound       no stored span has this trace id
    ├── MalformedExport (400)   the OTLP body cannot be decoded (not retryable)
    ├── UnsupportedEncoding (415) neither application/x-protobuf nor application/json
    └── Unavailable (503)
        ├── Overloaded          the span store is behind (retry after ``retry_after`` seconds)
        └── Flooding (429)      one service sends more than its share (retry later)

The OTLP receiver renders these as a ``google.rpc.Status`` in the request's encoding, as the
OTLP/HTTP specification asks; every other route renders orgloop's usual error JSON.
"""

from __future__ import annotations

from typing import Any

from orgloop.kernel.errors import NotFound, OrgloopError, Unavailable


class TraceNotFound(NotFound):
    """No span of the trace is stored: never received, or removed by retention."""


class MalformedExport(OrgloopError):
    """The body is not a valid ExportTraceServiceRequest in the declared encoding."""

    status = 400


class UnsupportedEncoding(OrgloopError):
    status = 415


class Overloaded(Unavailable):
    """Back-pressure: the client should retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int = 1, **kwargs: Any) -> None:
        super().__init__(message, details={"retry_after": retry_after}, **kwargs)
        self.retry_after = retry_after


class Flooding(Overloaded):
    status = 429
