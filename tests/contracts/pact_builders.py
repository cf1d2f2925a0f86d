"""Builders for the Pact tests: a small pet-store OpenAPI document and Pact documents."""

from __future__ import annotations

from typing import Any


def petstore() -> dict[str, Any]:
    """A pet store with references, a recursive schema, path and query parameters."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1.2.0"},
        "servers": [{"url": "https://pets.example.com/v1"}],
        "paths": {
            "/pets": {
                "get": {
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                        {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                    ],
                    "responses": {"200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Pet"}})},
                },
                "post": {
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}}},
                    "responses": {"201": _json({"$ref": "#/components/schemas/Pet"}), "default": _json({"$ref": "#/components/schemas/Error"})},
                },
            },
            "/pets/{id}": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {
                    "parameters": [{"name": "X-Request-Id", "in": "header", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {**_json({"$ref": "#/components/schemas/Pet"}), "headers": {"ETag": {"schema": {"type": "string"}}}},
                        "404": _json({"$ref": "#/components/schemas/Error"}),
                    },
                },
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
            "/pets/mine": {"get": {"responses": {"200": _json({"$ref": "#/components/schemas/Pet"})}}},
        },
        "components": {
            "parameters": {"PetId": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
            "schemas": {
                "NewPet": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}},
                },
                "Pet": {
                    "allOf": [
                        {"$ref": "#/components/schemas/NewPet"},
                        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}, "parent": {"$ref": "#/components/schemas/Pet"}}},
                    ]
                },
                "Tag": {"type": "object", "properties": {"name": {"type": "string"}, "colour": {"type": "string", "nullable": True}}},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
            },
        },
    }  # fmt: skip


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def pact(*interactions: dict[str, Any], version: str = "3.0.0") -> dict[str, Any]:
    return {
        "consumer": {"name": "checkout"},
        "provider": {"name": "pets"},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": version}},
    }


def interaction(
    description: str = "a request for pet 1",
    *,
    method: str = "GET",
    path: str = "/v1/pets/1",
    status: int = 200,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
) -> dict[str, Any]:
    req = {"method": method, "path": path, "headers": {"X-Request-Id": "abc"}, **(request or {})}
    res = {"status": status, "headers": {"Content-Type": "application/json"}, **(response or {})}
    return {"description": description, "request": req, "response": res}
