"""The catalog's side of the HTTP API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any

from orgloop.catalog.entities import Entity
from orgloop.kernel.client import ApiClient


def descriptor_payload(entity: Entity, raw: dict[str, Any]) -> dict[str, Any]:
    return {"descriptor": raw, "file": entity.source.file, "document": entity.source.document}


class CatalogClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def import_descriptors(
        self, items: list[dict[str, Any]], *, prune: bool, dry_run: bool
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post(
            "/api/v1/catalog/import", {"entities": items, "prune": prune, "dry_run": dry_run}
        )
        return result

    def export(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._api.get("/api/v1/catalog/export")
        return result

    def list(self, collection: str, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(f"/api/v1/{collection}", **filters)
        return result
