"""Small OpenAPI documents for the diff tests, built in code so each test shows its change."""

from __future__ import annotations

import copy
from typing import Any

from orgloop.contracts.openapi.diff import diff
from orgloop.contracts.openapi.loader import parse_document
from orgloop.contracts.openapi.model import Change
from orgloop.contracts.openapi.policy import Policy


def spec(paths: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1.0.0"},
        "paths": paths or {},
        **extra,
    }


def pets_spec() -> dict[str, Any]:
    pet = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "maxLength": 50},
            "kind": {"type": "string", "enum": ["cat", "dog"]},
        },
    }
    get_pet = {
        "operationId": "getPet",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {
                "name": "fields",
                "in": "query",
                "schema": {"type": "string", "enum": ["all", "short"]},
            },
        ],
        "responses": {
            "200": {
                "description": "ok",
                "headers": {"X-Rate-Limit": {"required": True, "schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
            }
        },
    }
    create_pet = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
        },
        "responses": {"201": {"description": "created"}},
    }
    return spec(
        {"/pets/{id}": {"get": get_pet}, "/pets": {"post": create_pet}},
        components={"schemas": {"Pet": pet}},
    )


def changes(
    base: dict[str, Any], revision: dict[str, Any], policy: Policy | None = None
) -> list[Change]:
    return diff(
        parse_document(copy.deepcopy(base)),
        parse_document(copy.deepcopy(revision)),
        policy=policy or Policy(versioning=False),
    )


def ids(found: list[Change]) -> set[str]:
    return {c.id for c in found}
