"""The flags side of the HTTP API, for the CLI and scripts (no server code)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from orgloop.kernel.client import ApiClient


class FlagsClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post("/api/v1/flags", body)
        return result

    def list(self, *, owner: str | None = None, tag: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/flags", owner=owner, tag=tag, limit=500)
        return result

    def get(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(_path(key))
        return result

    def set_environment(self, key: str, env: str, config: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._api.put(f"{_path(key)}/environments/{quote(env)}", config)
        return result

    def toggle(self, key: str, env: str, *, on: bool) -> dict[str, Any]:
        path = f"{_path(key)}/environments/{quote(env)}/toggle"
        result: dict[str, Any] = self._api.post(path, params={"on": str(on).lower()})
        return result

    def kill(self, key: str, env: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post(f"{_path(key)}/kill", params={"env": env})
        return result

    def history(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(f"{_path(key)}/history")
        return result

    def explain(self, key: str, env: str, attributes: dict[str, Any]) -> dict[str, Any]:
        body = {"environment": env, "attributes": attributes}
        result: dict[str, Any] = self._api.post(f"{_path(key)}/explain", body)
        return result


class SavedGroupsClient:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._api.post("/api/v1/saved-groups", body)
        return result

    def list(self, *, owner: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get("/api/v1/saved-groups", owner=owner, limit=500)
        return result

    def get(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._api.get(_group_path(key))
        return result

    def replace(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._api.put(_group_path(key), body)
        return result

    def delete(self, key: str) -> None:
        self._api.delete(_group_path(key))


def _group_path(key: str) -> str:
    return f"/api/v1/saved-groups/{quote(key, safe='')}"


def _path(key: str) -> str:
    return f"/api/v1/flags/{quote(key, safe='')}"
