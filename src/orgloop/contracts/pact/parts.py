"""The parts of an HTTP interaction (request, response, body) and how each version writes them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from orgloop.contracts.pact.errors import invalid
from orgloop.contracts.pact.rules import MatchingRules, parse_v2_rules, parse_v3_rules

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}


@dataclass(frozen=True)
class Body:
    """A body: ``present`` is false when the interaction says nothing about it."""

    present: bool = False
    value: Any = None
    content_type: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.present or self.value is None or self.value == ""


@dataclass(frozen=True)
class Request:
    method: str = "GET"
    path: str = "/"
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = field(default_factory=Body)
    rules: MatchingRules = field(default_factory=MatchingRules)


@dataclass(frozen=True)
class Response:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = field(default_factory=Body)
    rules: MatchingRules = field(default_factory=MatchingRules)


def require_str(raw: Any, key: str, where: str) -> str:
    if not isinstance(raw, dict) or not isinstance(raw.get(key), str) or not raw[key]:
        raise invalid(f"{where}.{key}", "is required and must be a non-empty string")
    return str(raw[key])


def read_request(raw: Any, major: int, where: str) -> Request:
    """A request as written in a Pact file (or a conformance case) of version ``major``."""
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    method = raw.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise invalid(f"{where}.method", f"{method!r} is not an HTTP method")
    path = raw.get("path", "/")
    if not isinstance(path, str):
        raise invalid(f"{where}.path", "must be a string")
    headers = read_headers(raw.get("headers"), f"{where}.headers")
    return Request(
        method=method.upper(),
        path=path,
        query=read_query(raw.get("query"), f"{where}.query"),
        headers=headers,
        body=read_body(raw, major, headers, where),
        rules=read_rules(raw.get("matchingRules"), major, f"{where}.matchingRules"),
    )


def read_response(raw: Any, major: int, where: str) -> Response:
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    status = raw.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599):  # fmt: skip
        raise invalid(f"{where}.status", "must be an HTTP status code (100-599)")
    headers = read_headers(raw.get("headers"), f"{where}.headers")
    return Response(
        status=status,
        headers=headers,
        body=read_body(raw, major, headers, where),
        rules=read_rules(raw.get("matchingRules"), major, f"{where}.matchingRules"),
    )


def read_rules(raw: Any, major: int, where: str) -> MatchingRules:
    return parse_v2_rules(raw, where) if major <= 2 else parse_v3_rules(raw, where)


def read_headers(raw: Any, where: str) -> dict[str, str]:
    """Header values as one string each; v4 lists are joined with ', ' as on the wire."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    headers = {}
    for name, value in raw.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        if not isinstance(value, str):
            raise invalid(f"{where}[{name!r}]", "a header value must be a string or a list of strings")  # fmt: skip
        headers[str(name)] = value
    return headers


def read_query(raw: Any, where: str) -> dict[str, list[str]]:
    """v2 query strings (``a=1&a=2``) and v3/v4 maps of lists, as one map of lists."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        return parse_query_string(raw)
    if not isinstance(raw, dict):
        raise invalid(where, "must be a query string or an object of lists")
    query = {}
    for name, values in raw.items():
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise invalid(f"{where}[{name!r}]", "must be a list of strings")
        query[str(name)] = list(values)
    return query


def parse_query_string(text: str) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for pair in text.lstrip("?").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        query.setdefault(unquote_plus(name), []).append(unquote_plus(value))
    return query


def content_type_of(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return None


def read_body(raw: dict[str, Any], major: int, headers: dict[str, str], where: str) -> Body:
    if "body" not in raw:
        return Body(content_type=content_type_of(headers))
    value = raw["body"]
    content_type = content_type_of(headers)
    if major >= 4 and isinstance(value, dict) and "content" in value:
        return _v4_body(value, content_type, f"{where}.body")
    return Body(True, value, content_type)


def _v4_body(raw: dict[str, Any], header_type: str | None, where: str) -> Body:
    content = raw.get("content")
    content_type = raw.get("contentType") or header_type
    encoded = raw.get("encoded", False)
    if encoded and isinstance(content, str):
        if str(encoded).lower() == "json":
            content = _loads(content, where)
        else:
            try:
                content = base64.b64decode(content, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                # Binary content cannot be compared as JSON or text; keep it as written.
                return Body(True, content, content_type)
    if isinstance(content, str) and content_type and "json" in content_type.lower():
        # A JSON document written as a string; a plain JSON string value stays as it is.
        with contextlib.suppress(ValueError):
            content = json.loads(content)
    return Body(True, content, content_type)


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise invalid(f"{where}.content", f"not valid JSON: {exc}") from None
