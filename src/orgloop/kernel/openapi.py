"""The OpenAPI document names every error status an operation can answer, with the one error shape.

FastAPI documents only a route's success and its parameter validation (with its own ``detail``
shape, which orgloop never sends).  The edge refuses more, for whole classes of routes, so the
statuses follow from what a route has, read from the route itself:

| the route has | it can answer |
|---|---|
| a bearer token (``Caller``) | 401 (no or an unknown token), 403 (a role that may not) |
| anything | 422 (a value refused: a NUL in any query parameter is refused at the door) |
| a parameter or a body | 404 (it names something that is not there) |
| a write method (a body) | 400 (not JSON, or nested too deeply), 409 (a conflict with what is stored), 413 (over the size limit) |
| an ``If-Match`` header | 412 (a stale version) |

A status a route declares itself (``responses=``) is left as it declares it; every other error
status refers to one shared response under ``components/responses`` (``Unauthenticated``,
``NotFound``, ...), each with the ``Error`` schema, so the document states each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from orgloop.kernel.http import current_principal

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "One of the codes in docs/errors.md."},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}

_DESCRIPTIONS = {
    400: "The body is not JSON, or is nested too deeply to read.",
    401: "No token, or one that is unknown or revoked.",
    403: "The token's role or team may not do this (audited for writes).",
    404: "Something the request names is not there.",
    409: "The change conflicts with what is stored (already exists, wrong state).",
    412: "If-Match names an older version: someone changed it since it was read.",
    413: "The body is over the server's size limit.",
    422: "A value is refused; details.errors names each field path.",
}
_NAMES = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    422: "Unprocessable",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def document_errors(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document list each operation's error statuses."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            add_error_responses(document, app.routes)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_error_responses(document: dict[str, Any], routes: list[Any]) -> None:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    components.setdefault("responses", {}).update(
        {
            name: {"description": _DESCRIPTIONS[status], "content": content}
            for status, name in _NAMES.items()
        }
    )
    schemas = components["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    paths = document.get("paths", {})
    # Included routers keep their routes inside; FastAPI's own walk yields each as its
    # effective route (with the prefix and dependencies of the include).
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        api_route: Any = route
        if not api_route.include_in_schema:
            continue
        for method in api_route.methods:
            operation = paths.get(api_route.path_format, {}).get(method.lower())
            if operation is not None:
                _document(operation, api_route, method)


def error_statuses(route: APIRoute, method: str) -> list[int]:
    """The error statuses the edge and the services can answer ``method route`` with."""
    dependant = route.dependant
    parameters = _parameters(dependant)
    # Every write's body passes the size limit and the JSON door, whether the route declares
    # the body or reads it itself (the ingest routes, the Pact broker's).
    write = method in _WRITES
    statuses = {422}
    if _authenticated(dependant):
        statuses |= {401, 403}
    if parameters or dependant.body_params or write:
        statuses.add(404)
    if write:
        statuses |= {400, 409, 413}
    if any(p.lower() == "if-match" for p in parameters):
        statuses.add(412)
    return sorted(statuses)


def _document(operation: dict[str, Any], route: APIRoute, method: str) -> None:
    responses = operation.setdefault("responses", {})
    declared = {str(status) for status in route.responses}
    for status in error_statuses(route, method):
        if str(status) in declared:
            continue  # the route's own (the OTLP receiver answers in its protocol's shape)
        responses[str(status)] = {"$ref": f"#/components/responses/{_NAMES[status]}"}


def _parameters(dependant: Dependant) -> list[str]:
    names = []
    for sub in _walk(dependant):
        for field in (*sub.path_params, *sub.query_params, *sub.header_params):
            names.append(str(field.alias))
    return names


def _authenticated(dependant: Dependant) -> bool:
    return any(sub.call is current_principal for sub in _walk(dependant))


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)
