"""The contracts slice's side of the HTTP API, for the CLI and CI scripts (no server code)."""

from __future__ import annotations

from typing import Any

from orgloop.kernel.client import ApiClient


class ContractsClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def publish(self, service: str, version: str, document: str, api: str | None) -> Any:
        body = {"version": version, "document": document, "api": api}
        return self._api.post(f"/api/v1/services/{service}/api-versions", body)

    def versions(self, service: str) -> Any:
        return self._api.get(f"/api/v1/services/{service}/api-versions")

    def changelog(self, service: str, base: str, revision: str) -> Any:
        return self._api.get(f"/api/v1/services/{service}/api-versions/{base}/changelog/{revision}")

    def publish_contract(
        self, consumer: str, version: str, provider: str, kind: str, content: str
    ) -> Any:
        body = {"consumer_version": version, "provider": provider, "kind": kind, "content": content}
        return self._api.post(f"/api/v1/services/{consumer}/contracts", body)

    def deployment(self, service: str, action: str, version: str, environment: str) -> Any:
        """``action``: deployments, deployments/end, releases or releases/end."""
        body = {"version": version, "environment": environment}
        return self._api.post(f"/api/v1/services/{service}/{action}", body)

    def deployments(self, environment: str | None) -> Any:
        if environment:
            return self._api.get(f"/api/v1/environments/{environment}/deployments")
        return self._api.get("/api/v1/deployments")

    def deployment_history(self, **filters: str | None) -> list[dict[str, Any]]:
        """Every page of ``/deployments/history`` (filters: since, until, service, environment)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self._api.get(
                "/api/v1/deployments/history", limit=1000, offset=len(found), **filters
            )
            found.extend(page["items"])
            if not page["items"] or len(found) >= page["total"]:
                return found

    def can_i_deploy(
        self,
        service: str,
        version: str,
        environment: str,
        ignore: list[str],
        observed_consumers: str = "warn",
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._api.request(
            "GET",
            "/api/v1/can-i-deploy",
            params={
                "service": service, "version": version, "environment": environment,
                "ignore": ignore, "observed_consumers": observed_consumers,
            },
        )  # fmt: skip
        return result

    def contracts(self, *, provider: str) -> Any:
        return self._api.request("GET", "/api/v1/contracts", params={"provider": provider})

    def observed_consumers(self, service: str, since: str | None) -> dict[str, Any]:
        params = {"since": since} if since else {}
        result: dict[str, Any] = self._api.request(
            "GET", f"/api/v1/services/{service}/consumers/observed", params=params
        )
        return result

    def deprecations(self, provider: str | None, environment: str | None) -> dict[str, Any]:
        params = {k: v for k, v in {"provider": provider, "environment": environment}.items() if v}
        result: dict[str, Any] = self._api.request("GET", "/api/v1/deprecations", params=params)
        return result
