"""Pact files (specification v2, v3 and v4) read into one model of HTTP interactions.

``parse_pact`` takes the text, bytes or already-decoded JSON of a Pact file and returns a
``Pact``; every problem is raised as ``PactInvalid`` with the JSON path of the offending field.
Differences between versions are absorbed here: v2 queries are strings and its matching rules a
flat map, v3 queries are maps of lists and its rules grouped by category, v4 bodies are wrapped
in ``{"content", "contentType", "encoded"}`` and its interactions carry a ``type``. Version 1
files are read as version 2 (v2 only added matching rules). Non-HTTP v4 interactions, and v3
message pacts, are listed in ``Pact.unsupported`` rather than silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from orgloop.contracts.pact.errors import PactTooLarge, invalid, unsupported
from orgloop.contracts.pact.parts import (
    Body,
    Request,
    Response,
    read_request,
    read_response,
    require_str,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_INTERACTIONS = 2_000
SUPPORTED_MAJORS = (1, 2, 3, 4)
HTTP_TYPE = "Synchronous/HTTP"

__all__ = ["Body", "Interaction", "Pact", "Request", "Response", "parse_pact", "spec_major"]


@dataclass(frozen=True)
class Interaction:
    """One HTTP request the consumer makes and the response it expects."""

    description: str
    request: Request
    response: Response
    provider_states: tuple[str, ...] = ()
    path: str = "$.interactions[0]"


@dataclass(frozen=True)
class Pact:
    """A consumer contract: who, which specification version, and its HTTP interactions."""

    consumer: str
    provider: str
    spec_version: str
    interactions: tuple[Interaction, ...]
    unsupported: tuple[dict[str, str], ...] = field(default=())

    @property
    def major(self) -> int:
        return spec_major(self.spec_version)


def spec_major(version: str) -> int:
    head = version.split(".", 1)[0].lstrip("vV")
    return int(head) if head.isdigit() else 0


def parse_pact(
    document: str | bytes | dict[str, Any], *, max_bytes: int = MAX_BYTES,
    max_interactions: int = MAX_INTERACTIONS,
) -> Pact:  # fmt: skip
    """Read a Pact file; raises PactInvalid, PactUnsupported or PactTooLarge."""
    raw = _decode(document, max_bytes)
    if not isinstance(raw, dict):
        raise invalid("$", "a Pact file must be a JSON object")
    version = _spec_version(raw)
    major = spec_major(version)
    if major not in SUPPORTED_MAJORS:
        raise unsupported(
            "$.metadata", f"Pact specification version {version!r} is not supported (1 to 4 are)"
        )
    consumer = require_str(_get(raw, "consumer", "$"), "name", "$.consumer")
    provider = require_str(_get(raw, "provider", "$"), "name", "$.provider")
    skipped: list[dict[str, str]] = []
    if "messages" in raw and "interactions" not in raw:
        skipped.append({"path": "$.messages", "message": "message pacts are not checked: only HTTP interactions are"})  # fmt: skip
        return Pact(consumer, provider, version, (), tuple(skipped))
    items = raw.get("interactions")
    if not isinstance(items, list):
        raise invalid("$.interactions", "is required and must be a list")
    if len(items) > max_interactions:
        raise PactTooLarge(f"the Pact file has {len(items)} interactions; the limit is {max_interactions}")  # fmt: skip
    interactions = []
    for index, item in enumerate(items):
        where = f"$.interactions[{index}]"
        if not isinstance(item, dict):
            raise invalid(where, "an interaction must be an object")
        kind = item.get("type", HTTP_TYPE) if major >= 4 else HTTP_TYPE
        if kind != HTTP_TYPE:
            name = item.get("description", "")
            skipped.append({"path": where, "message": f"interaction {name!r} of type {kind!r} is not checked: only {HTTP_TYPE} interactions are"})  # fmt: skip
            continue
        interactions.append(_interaction(item, major, where))
    return Pact(consumer, provider, version, tuple(interactions), tuple(skipped))


def _decode(document: str | bytes | dict[str, Any], max_bytes: int) -> Any:
    if isinstance(document, dict):
        return document
    size = len(document.encode() if isinstance(document, str) else document)
    if size > max_bytes:
        raise PactTooLarge(f"the Pact file is {size} bytes; the limit is {max_bytes}")
    try:
        return json.loads(document)
    except (ValueError, RecursionError) as exc:
        raise invalid("$", f"not valid JSON: {exc}") from None


def _get(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise invalid(f"{where}.{key}".replace("$.$", "$"), "is required")
    return raw[key]


def _spec_version(raw: dict[str, Any]) -> str:
    metadata = raw.get("metadata")
    if metadata is None:
        return "2.0.0"  # files without metadata come from the oldest writers
    if not isinstance(metadata, dict):
        raise invalid("$.metadata", "must be an object")
    for key in ("pactSpecification", "pact-specification"):
        spec = metadata.get(key)
        if isinstance(spec, dict) and "version" in spec:
            return str(spec["version"])
    if "pactSpecificationVersion" in metadata:
        return str(metadata["pactSpecificationVersion"])
    return "2.0.0"


def _interaction(item: dict[str, Any], major: int, where: str) -> Interaction:
    description = item.get("description")
    if not isinstance(description, str) or not description:
        raise invalid(f"{where}.description", "is required and must be a non-empty string")
    request = _get(item, "request", where)
    response = _get(item, "response", where)
    return Interaction(
        description=description,
        request=read_request(request, major, f"{where}.request"),
        response=read_response(response, major, f"{where}.response"),
        provider_states=_states(item, where),
        path=where,
    )


def _states(item: dict[str, Any], where: str) -> tuple[str, ...]:
    if isinstance(item.get("providerState"), str):
        return (item["providerState"],)
    states = item.get("providerStates", [])
    if not isinstance(states, list):
        raise invalid(f"{where}.providerStates", "must be a list")
    names = []
    for i, state in enumerate(states):
        if not isinstance(state, dict) or not isinstance(state.get("name"), str):
            raise invalid(f"{where}.providerStates[{i}]", "a provider state needs a 'name'")
        names.append(state["name"])
    return tuple(names)
