"""HTTP client for orgloop's API: finds the server and token, turns error JSON back into errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from orgloop.kernel.errors import OrgloopError, Unavailable

DEFAULT_URL = "http://127.0.0.1:8080"


def login_file() -> Path:
    base = os.environ.get("ORGLOOP_CONFIG_DIR") or Path.home() / ".config" / "orgloop"
    return Path(base) / "login.json"


def save_login(url: str, token: str) -> Path:
    path = login_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps({"url": url, "token": token}, indent=2) + "\n")
    return path


def resolve_login() -> tuple[str, str | None]:
    """``ORGLOOP_URL``/``ORGLOOP_TOKEN`` win; else the file ``orgloop login`` wrote; else defaults."""
    saved: dict[str, Any] = {}
    path = login_file()
    if path.exists():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
    url = os.environ.get("ORGLOOP_URL") or saved.get("url") or DEFAULT_URL
    token = os.environ.get("ORGLOOP_TOKEN") or saved.get("token")
    return str(url).rstrip("/"), token


class ApiClient:
    """Thin wrapper over ``httpx.Client``; pass ``transport`` to talk to an app in process."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        found_url, found_token = resolve_login()
        self.url = (url or found_url).rstrip("/")
        headers = {"User-Agent": "orgloop-cli"}
        if token or found_token:
            headers["Authorization"] = f"Bearer {token or found_token}"
        self._http = httpx.Client(
            base_url=self.url, headers=headers, transport=transport, timeout=timeout
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unavailable(
                f"cannot reach orgloop at {self.url} ({exc.__class__.__name__}); "
                "is 'orgloop serve' running, and is ORGLOOP_URL right?"
            ) from exc
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = {"error": {"code": "bad_request", "message": response.text[:500]}}
            raise OrgloopError.from_dict(payload, status=response.status_code)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, json=body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def close(self) -> None:
        self._http.close()
