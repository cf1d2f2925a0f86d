"""The insights side of the HTTP API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any

from orgloop.kernel.client import ApiClient


class InsightsClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def report(self, name: str, **params: Any) -> dict[str, Any]:
        """One report: conway, monolith, teams or velocity; None parameters are left out."""
        result: dict[str, Any] = self._api.get(f"/api/v1/insights/{name}", **params)
        return result

    def what_if(self, scenario: Any, *, source: str) -> dict[str, Any]:
        path = "/api/v1/insights/whatif"
        result: dict[str, Any] = self._api.post(path, scenario, params={"source": source})
        return result
