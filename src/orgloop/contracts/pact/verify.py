"""Static verification: is a consumer contract (Pact) possible against the provider's OpenAPI?

No provider is called. For every interaction: the request must be one the document accepts (an
operation for its method and path, required parameters present, parameter and body values of the
documented types) and the expected response one the document allows (a documented status code
or ``default``, a body that fits the response schema, and no property the consumer relies on
that the schema never declares). Each problem names the interaction, the operation
(``GET /pets/{id}``) and the field path (``$.response.body.tags[0].name``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgloop.contracts.pact.model import Interaction, Pact
from orgloop.contracts.pact.operations import Operation, find_operation
from orgloop.contracts.pact.parts import Body, Request, Response
from orgloop.contracts.pact.refs import RefError, deref
from orgloop.contracts.pact.schema import undeclared, validate


@dataclass(frozen=True)
class Problem:
    """One reason the contract and the document disagree."""

    interaction: str
    operation: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.interaction} [{self.operation}] {self.path}: {self.message}"


def verify_pact(pact: Pact, document: dict[str, Any]) -> list[Problem]:
    """Every problem of every HTTP interaction of ``pact`` against the OpenAPI ``document``."""
    problems: list[Problem] = []
    for interaction in pact.interactions:
        problems += verify_interaction(interaction, document)
    return problems


def verify_interaction(interaction: Interaction, document: dict[str, Any]) -> list[Problem]:
    request = interaction.request
    found = find_operation(document, request.method, request.path)
    if isinstance(found, str):
        label = f"{request.method} {request.path}"
        return [Problem(interaction.description, label, "$.request.path", found)]
    problems = [(p, m) for p, m in check_request(found, request, document)]
    problems += check_response(found, interaction.response, document)
    return [Problem(interaction.description, found.label, p, m) for p, m in problems]


_PARTS = {"path": "path", "query": "query", "header": "headers"}


# Requests -------------------------------------------------------------------------------------


def check_request(op: Operation, request: Request, document: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    headers = {k.lower(): v for k, v in request.headers.items()}
    declared_query = set()
    for param in op.parameters:
        name, where = str(param["name"]), param["in"]
        schema = _param_schema(param, document)
        if where == "path":
            value = op.path_values.get(name)
            values = [value] if value is not None else []
        elif where == "query":
            declared_query.add(name)
            values = request.query.get(name, [])
        elif where == "header":
            value = headers.get(name.lower())
            values = [value] if value is not None else []
        else:
            continue  # cookies are not part of a Pact request
        field = f"$.request.{_PARTS[where]}.{name}"
        if not values:
            if param.get("required") or where == "path":
                out.append((field, f"required {where} parameter {name!r} is missing"))
            continue
        out += _check_param_values(values, schema, document, field)
    for name in request.query:
        if name not in declared_query:
            out.append((f"$.request.query.{name}", f"query parameter {name!r} is not declared by the operation"))  # fmt: skip
    out += _check_request_body(op, request.body, document)
    return out


def _param_schema(param: dict[str, Any], document: Any) -> Any:
    schema = param.get("schema")
    if schema is None and isinstance(param.get("content"), dict):
        media: Any = next(iter(param["content"].values()), {})
        schema = media.get("schema") if isinstance(media, dict) else None
    if schema is None and "type" in param:  # Swagger 2 style parameters
        schema = {k: v for k, v in param.items() if k in ("type", "items", "enum", "format")}
    return schema


def _check_param_values(values: list[str], schema: Any, document: Any, field: str) -> list[tuple[str, str]]:  # fmt: skip
    try:
        resolved = deref(document, schema)
    except RefError as exc:
        return [(field, str(exc))]
    if not isinstance(resolved, dict):
        return []
    if resolved.get("type") == "array":
        items = deref(document, resolved.get("items", {}))
        split = [part for v in values for part in v.split(",")] if len(values) == 1 else values
        coerced: Any = [coerce(v, items) for v in split]
    else:
        coerced = coerce(values[0], resolved)
    return validate(coerced, resolved, document, field)


def coerce(text: str, schema: Any) -> Any:
    """A parameter's text as the type its schema declares, when it reads as one."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _check_request_body(op: Operation, body: Body, document: Any) -> list[tuple[str, str]]:
    try:
        request_body = deref(document, op.spec.get("requestBody"))
    except RefError as exc:
        return [("$.request.body", str(exc))]
    if body.is_empty:
        if isinstance(request_body, dict) and request_body.get("required"):
            return [("$.request.body", "the operation requires a request body")]
        return []
    if not isinstance(request_body, dict):
        return [("$.request.body", "the operation does not take a request body")]
    schema = _media_schema(request_body.get("content"), body.content_type)
    if isinstance(schema, str):
        return [("$.request.body", schema)]
    problems = validate(body.value, schema, document, "$.request.body")
    # A property the provider does not declare is one it will ignore: the consumer's intent is lost.
    return problems + undeclared(body.value, schema, document, "$.request.body")


def _media_schema(content: Any, content_type: str | None) -> Any:
    """The schema for a content type (exact, ``type/*``, ``*/*``, then JSON), or why none fits."""
    if not isinstance(content, dict) or not content:
        return "the document declares no content for it"
    wanted = (content_type or "application/json").split(";")[0].strip().lower()
    family = wanted.split("/")[0] + "/*"
    lowered = {k.split(";")[0].strip().lower(): v for k, v in content.items()}
    for key in (wanted, family, "*/*"):
        if key in lowered:
            media = lowered[key]
            return media.get("schema") if isinstance(media, dict) else None
    if content_type is None and len(lowered) == 1:
        media = next(iter(lowered.values()))
        return media.get("schema") if isinstance(media, dict) else None
    return f"content type {wanted!r} is not documented (documented: {', '.join(sorted(lowered))})"


# Responses ------------------------------------------------------------------------------------


def check_response(op: Operation, response: Response, document: Any) -> list[tuple[str, str]]:
    responses = op.spec.get("responses") or {}
    status = response.status if response.status is not None else 200
    key = next((k for k in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default") if k in responses), None)  # fmt: skip
    if key is None:
        documented = ", ".join(sorted(str(k) for k in responses)) or "none"
        return [("$.response.status", f"status {status} is not documented (documented: {documented})")]  # fmt: skip
    try:
        spec = deref(document, responses[key])
    except RefError as exc:
        return [("$.response.status", str(exc))]
    spec = spec if isinstance(spec, dict) else {}
    out = _check_response_headers(response, spec)
    if response.body.is_empty:
        return out
    schema = _media_schema(spec.get("content"), response.body.content_type)
    if isinstance(schema, str):
        return [*out, ("$.response.body", f"status {key}: {schema}")]
    out += validate(response.body.value, schema, document, "$.response.body")
    out += undeclared(response.body.value, schema, document, "$.response.body")
    return out


def _check_response_headers(response: Response, spec: dict[str, Any]) -> list[tuple[str, str]]:
    documented = {str(k).lower() for k in (spec.get("headers") or {})}
    out = []
    for name in response.headers:
        if name.lower() not in documented and name.lower() != "content-type":
            out.append((f"$.response.headers.{name}", f"the consumer expects header {name!r}, which the response does not document"))  # fmt: skip
    return out
