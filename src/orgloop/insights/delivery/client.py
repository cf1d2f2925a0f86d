"""The delivery side of the insights API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from orgloop.kernel.client import ApiClient


class DeliveryClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def dora(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/insights/dora", **params)
        return result

    def flow(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/insights/flow", **params)
        return result

    def import_file(self, source: str, content: bytes, **params: Any) -> dict[str, Any]:
        kind = "text/csv" if source == "csv" else "application/json"
        clean = {k: v for k, v in params.items() if v is not None}
        result: dict[str, Any] = self._api.request(
            "POST",
            f"/api/v1/insights/imports/{quote(source)}",
            content=content,
            params=clean,
            headers={"Content-Type": kind},
        )
        return result
