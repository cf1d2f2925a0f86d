"""OpenFeature Remote Evaluation Protocol (OFREP) bodies: request context in, answers out (pure).

The protocol (https://openfeature.dev/specification/appendix-c, ``ofrep/v1``): a request is
``{"context": {"targetingKey": "user-1", ...attributes}}``; a success is ``{key, value, reason,
variant, metadata}``, a failure ``{key, errorCode, errorDetails}``. The targeting key becomes the
``id`` attribute, as in orgloop's own OpenFeature provider, so both evaluate alike; reasons come
from the engine's ``openfeature_resolution``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from orgloop.flags.engine import Resolution, Result

MAX_CONTEXT_BYTES = 64 * 1024


class OfrepRefusal(Exception):
    """A request OFREP answers with an error body: ``status``, ``code``, ``details``."""

    def __init__(self, status: int, code: str, details: str) -> None:
        super().__init__(details)
        self.status, self.code, self.details = status, code, details

    def body(self, key: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if key is None else {"key": key}
        out.update(errorCode=self.code, errorDetails=self.details)
        return out


def parse_context(body: bytes) -> dict[str, Any]:
    """The attributes of a request body (``targetingKey`` as ``id``); ``OfrepRefusal`` if bad."""
    if len(body) > MAX_CONTEXT_BYTES:
        raise OfrepRefusal(400, "INVALID_CONTEXT", f"the body exceeds {MAX_CONTEXT_BYTES} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise OfrepRefusal(400, "PARSE_ERROR", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OfrepRefusal(400, "PARSE_ERROR", "the body must be a JSON object with 'context'")
    context = data.get("context", {})
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise OfrepRefusal(400, "INVALID_CONTEXT", "context: must be a JSON object")
    attributes = dict(context)
    targeting_key = attributes.pop("targetingKey", None)
    if targeting_key is not None:
        if not isinstance(targeting_key, str):
            raise OfrepRefusal(400, "INVALID_CONTEXT", "context.targetingKey: must be a string")
        attributes.setdefault("id", targeting_key)
    return attributes


def answer(key: str, resolution: Resolution) -> dict[str, Any]:
    """One flag's OFREP answer: a success body, or ``{key, errorCode, errorDetails}``.

    When the caller's default applies (a disabled flag, a ``null`` value) ``value`` is left out,
    which the protocol reads as "use the default in code".
    """
    if resolution.error_code is not None:
        return {
            "key": key,
            "errorCode": resolution.error_code,
            "errorDetails": resolution.error_message or resolution.error_code,
        }
    out: dict[str, Any] = {"key": key, "reason": resolution.reason, "variant": resolution.variant}
    if resolution.has_value:
        out["value"] = resolution.value
    out["metadata"] = dict(resolution.metadata)
    return out


def exposure(result: Result) -> dict[str, Any] | None:
    """The exposure event an experiment assignment records (as the SDK sends it), else None."""
    if result.source != "experiment" or not result.in_experiment or result.experiment_key is None:
        return None
    return {
        "type": "exposure",
        "unit": str(result.hash_value),
        "experiment": str(result.experiment_key),
        "variant": result.variation_key or str(result.variation_id),
    }


def body_etag(ruleset_etag: str, attributes: dict[str, Any]) -> str:
    """A bulk answer's strong ETag: the ruleset's ETag and the context, hashed together."""
    canonical = json.dumps(attributes, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{ruleset_etag}\n{canonical}".encode()).hexdigest()[:32]
    return f'"{digest}"'
