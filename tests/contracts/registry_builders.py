"""Builders for the contracts server tests: an app with the contracts router, the orders API."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

from orgloop.app import Services, create_app


def contracts_app(services: Services) -> FastAPI:
    return create_app(services=services)


def orders_api(*, with_total: bool = True, version: str = "1.0.0") -> dict[str, Any]:
    """The orders API; v2 drops ``total`` from the order response."""
    order: dict[str, Any] = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "status": {"type": "string"}},
    }
    if with_total:
        # Required, so that removing it is a breaking change (not just a warning).
        order["properties"]["total"] = {"type": "number"}
        order["required"] = ["total"]
    ok = {"description": "ok", "content": {"application/json": {"schema": copy.deepcopy(order)}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Orders API", "version": version},
        "paths": {
            "/orders/{id}": {
                "get": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": ok},
                }
            }
        },
    }


CHECKOUT_LIGHT = """\
consumer: checkout
provider: orders
api: orders-api
uses:
  - operation: GET /orders/{id}
    fields: [id, total]
"""


def checkout_pact(spec: str = "3.0.0") -> dict[str, Any]:
    return {
        "consumer": {"name": "checkout"},
        "provider": {"name": "orders"},
        "interactions": [
            {
                "description": "an order",
                "request": {"method": "GET", "path": "/orders/42"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"id": "42", "total": 12.5},
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": spec}},
    }
