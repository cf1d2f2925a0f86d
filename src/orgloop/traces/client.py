"""The traces side of the HTTP API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any

from orgloop.kernel.client import ApiClient


class TracesClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def graph(
        self, *, since: str | None = None, service: str | None = None, env: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(
            "/api/v1/traces/graph", since=since, service=service, env=env
        )
        return result

    def trace(self, trace_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(f"/api/v1/traces/{trace_id}")
        return result

    def unknown_services(self) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/traces/unknown-services")
        return result
