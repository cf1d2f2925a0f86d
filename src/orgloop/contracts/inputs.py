"""Reading what clients send: OpenAPI documents and consumer contracts, as objects or as JSON or
YAML text, validated with errors that name the field (``document``, ``content...``)."""

from __future__ import annotations

import json
from typing import Any

from orgloop.contracts.openapi.loader import YAML_LIMITS, parse_document
from orgloop.contracts.pact.light import parse_light
from orgloop.contracts.pact.model import parse_pact
from orgloop.kernel import yamlguard
from orgloop.kernel.errors import InvalidInput


def load_openapi(raw: dict[str, Any] | str) -> dict[str, Any]:
    data = raw if isinstance(raw, dict) else parse_text(raw, "document")
    parse_document(data, source="document")
    assert isinstance(data, dict)
    return data


def parse_text(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yamlguard.load(text, limits=YAML_LIMITS)  # bounded: aliases cannot explode
    except yamlguard.YamlRefused as exc:
        at = f" ({exc.path})" if exc.path else ""
        raise InvalidInput.at(
            path, f"is neither JSON nor YAML that orgloop reads{at}: {exc}"
        ) from None


def load_contract(kind: str, raw: dict[str, Any] | str) -> tuple[Any, list[dict[str, str]]]:
    """The contract as stored (a mapping) and the Pact interactions that will not be checked."""
    content = raw if isinstance(raw, dict) else parse_text(raw, "content")
    try:
        if kind == "light":
            parse_light(content if isinstance(content, dict) else raw)
            return content, []
        pact = parse_pact(content if isinstance(content, dict) else raw)
    except InvalidInput as exc:
        for item in exc.details.get("errors", []):
            item["path"] = f"content{str(item.get('path', '$'))[1:]}"
        raise
    return content, list(pact.unsupported)
