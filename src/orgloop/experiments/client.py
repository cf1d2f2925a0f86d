"""The experiments side of the HTTP API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any

from orgloop.kernel.client import ApiClient


class ExperimentsClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post("/api/v1/experiments", body)
        return result

    def list(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/experiments", **filters)
        return result

    def get(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(f"/api/v1/experiments/{key}")
        return result

    def start(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post(f"/api/v1/experiments/{key}/start")
        return result

    def stop(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post(f"/api/v1/experiments/{key}/stop")
        return result

    def analyse(self, key: str, *, record: bool, until: str | None = None) -> dict[str, Any]:
        path = f"/api/v1/experiments/{key}/analysis"
        if record:
            result: dict[str, Any] = self._api.post(path)
        else:
            result = self._api.get(path, until=until)
        return result

    def decide(self, key: str, *, decision: str, reason: str) -> dict[str, Any]:
        body = {"decision": decision, "reason": reason}
        result: dict[str, Any] = self._api.post(f"/api/v1/experiments/{key}/decision", body)
        return result

    def learnings(self, *, team: str | None, q: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/learnings", team=team, q=q)
        return result

    def velocity(self, *, team: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/experiments-velocity", team=team)
        return result
