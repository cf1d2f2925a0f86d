"""Finding the OpenAPI operation that serves a concrete request (``GET /pets/42``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from orgloop.contracts.pact.refs import RefError, deref

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with its parameters merged from path and operation."""

    method: str
    template: str
    spec: dict[str, Any]
    path_values: dict[str, str] = field(default_factory=dict)
    parameters: tuple[dict[str, Any], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template}"


def base_paths(document: dict[str, Any]) -> list[str]:
    """Path prefixes from ``servers`` (``https://api.example.com/v1`` -> ``/v1``), longest first."""
    prefixes = {""}
    for server in document.get("servers") or []:
        if isinstance(server, dict) and isinstance(server.get("url"), str):
            prefix = urlparse(server["url"]).path.rstrip("/")
            if "{" not in prefix:
                prefixes.add(prefix)
    if isinstance(document.get("basePath"), str):
        prefixes.add(document["basePath"].rstrip("/"))
    return sorted(prefixes, key=len, reverse=True)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    pattern = "".join(
        f"(?P<p{i}>[^/]+)" if part.startswith("{") else re.escape(part)
        for i, part in enumerate(parts)
    )
    return re.compile(pattern)


def _names(template: str) -> list[tuple[str, str]]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return [(f"p{i}", part[1:-1]) for i, part in enumerate(parts) if part.startswith("{")]


def find_path(document: dict[str, Any], path: str) -> tuple[str, dict[str, str]] | None:
    """The path template that matches ``path`` (literal segments win over parameters)."""
    paths = document.get("paths") or {}
    candidates = []
    for prefix in base_paths(document):
        if prefix and not path.startswith(prefix):
            continue
        rest = path[len(prefix) :] or "/"
        for template in paths:
            m = _template_regex(template).fullmatch(rest)
            if m is not None:
                values = {name: unquote(m.group(group)) for group, name in _names(template)}
                candidates.append((len(values), template, values))
        if candidates:
            break
    if not candidates:
        return None
    _, template, values = min(candidates, key=lambda c: (c[0], c[1]))
    return template, values


def find_operation(document: dict[str, Any], method: str, path: str) -> Operation | str:
    """The operation for ``method`` and ``path``, or a sentence saying why there is none."""
    found = find_path(document, path)
    if found is None:
        return f"no path of the document matches {path!r}"
    template, values = found
    try:
        item = deref(document, document["paths"][template])
    except RefError as exc:
        return str(exc)
    spec = item.get(method.lower()) if isinstance(item, dict) else None
    if not isinstance(spec, dict):
        allowed = [m.upper() for m in METHODS if isinstance(item, dict) and m in item]
        return (
            f"{template} has no {method.upper()} operation (it has {', '.join(allowed) or 'none'})"
        )
    return Operation(method.lower(), template, spec, values, _parameters(document, item, spec))


def _parameters(
    document: Any, item: dict[str, Any], spec: dict[str, Any]
) -> tuple[dict[str, Any], ...]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in list(item.get("parameters") or []) + list(spec.get("parameters") or []):
        try:
            param = deref(document, raw)
        except RefError:
            continue
        if isinstance(param, dict) and "name" in param and "in" in param:
            key = (
                str(param["in"]),
                str(param["name"]).lower() if param["in"] == "header" else str(param["name"]),
            )
            merged[key] = param  # operation-level parameters override path-level ones
    return tuple(merged.values())
