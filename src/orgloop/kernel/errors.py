"""One error type for all of orgloop, and the one JSON shape it takes on the wire.

Exception hierarchy::

    OrgloopError(code, status, message, details)
    ├── NotFound          404  not_found
    ├── Conflict          409  conflict
    ├── PreconditionFailed 412 precondition_failed   (If-Match names an older version)
    ├── InvalidInput      422  invalid_input   (details["errors"]: [{"path", "message", ...}])
    ├── Unauthenticated   401  unauthenticated
    ├── Forbidden         403  forbidden
    └── PayloadTooLarge   413  payload_too_large

Slices raise these (or their own subclasses with a code from ``ErrorCode``); they never raise
``HTTPException``.  The server renders every one of them as::

    {"error": {"code": "...", "message": "...", "details": {...}}}

and the HTTP clients (CLI, SDK) turn that shape back into the same exception by its code.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

ErrorCode = Literal[
    "bad_request",
    "conflict",
    "forbidden",
    "internal_error",
    "invalid_input",
    "not_found",
    "payload_too_large",
    "precondition_failed",
    "semver_violation",
    "unauthenticated",
    "unavailable",
]
"""The closed set of error codes; each has a heading in docs/errors.md (a test checks)."""

ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)


class OrgloopError(Exception):
    """Base of every error orgloop raises on purpose."""

    code: ErrorCode = "bad_request"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        code: ErrorCode | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The wire shape: ``{"error": {"code", "message", "details"}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    @classmethod
    def from_dict(cls, payload: dict[str, Any], *, status: int) -> OrgloopError:
        """Rebuild the exception a server sent, picking the subclass by its code."""
        body = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            return OrgloopError(
                f"unexpected error response (HTTP {status})", code="bad_request", status=status
            )
        code = body.get("code", "bad_request")
        message = str(body.get("message", ""))
        details = body.get("details") or {}
        klass = _BY_CODE.get(code, OrgloopError)
        err = klass(message, details=details, status=status)
        if code in ERROR_CODES:
            err.code = code
        return err

    def __str__(self) -> str:
        return self.message


class NotFound(OrgloopError):
    code: ErrorCode = "not_found"
    status = 404


class Conflict(OrgloopError):
    code: ErrorCode = "conflict"
    status = 409


class PreconditionFailed(OrgloopError):
    """A write with ``If-Match`` whose ETag is no longer the resource's: someone changed it since
    it was read; read it again (its ``ETag``) and decide again."""

    code: ErrorCode = "precondition_failed"
    status = 412


class InvalidInput(OrgloopError):
    """Input that fails validation; ``details["errors"]`` lists each problem with its path."""

    code: ErrorCode = "invalid_input"
    status = 422

    @classmethod
    def at(cls, path: str, message: str, **extra: Any) -> InvalidInput:
        """One problem at one field path, e.g. ``InvalidInput.at("spec.owner", "is required")``."""
        return cls(
            f"{path}: {message}", details={"errors": [{"path": path, "message": message, **extra}]}
        )


class Unauthenticated(OrgloopError):
    code: ErrorCode = "unauthenticated"
    status = 401


class Forbidden(OrgloopError):
    code: ErrorCode = "forbidden"
    status = 403


class PayloadTooLarge(OrgloopError):
    code: ErrorCode = "payload_too_large"
    status = 413


class Unavailable(OrgloopError):
    code: ErrorCode = "unavailable"
    status = 503


_BY_CODE: dict[str, type[OrgloopError]] = {
    "not_found": NotFound,
    "conflict": Conflict,
    "precondition_failed": PreconditionFailed,
    "invalid_input": InvalidInput,
    "unauthenticated": Unauthenticated,
    "forbidden": Forbidden,
    "payload_too_large": PayloadTooLarge,
    "unavailable": Unavailable,
}
