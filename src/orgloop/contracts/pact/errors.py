"""Errors raised while reading Pact files and light contracts.

InvalidInput (422, invalid_input)
├── PactInvalid       a Pact file or light contract that cannot be read; the JSON path is in
│                     ``details["errors"][i]["path"]``
└── PactUnsupported   a Pact specification version or interaction type orgloop does not read
PayloadTooLarge (413, payload_too_large)
└── PactTooLarge      a document over the size or interaction limits
"""

from __future__ import annotations

from orgloop.kernel.errors import InvalidInput, PayloadTooLarge


class PactInvalid(InvalidInput):
    """A Pact document with a missing or badly typed field."""


class PactUnsupported(InvalidInput):
    """A Pact document of a version, or with interactions, that orgloop cannot check."""


class PactTooLarge(PayloadTooLarge):
    """A Pact document larger than the parser accepts."""


def invalid(path: str, message: str) -> PactInvalid:
    """One problem at one JSON path, e.g. ``invalid("$.interactions[0].request", "is required")``."""
    return PactInvalid(
        f"{path}: {message}", details={"errors": [{"path": path, "message": message}]}
    )


def unsupported(path: str, message: str) -> PactUnsupported:
    """Something well formed that orgloop does not check, with where it was found."""
    return PactUnsupported(
        f"{path}: {message}", details={"errors": [{"path": path, "message": message}]}
    )
