"""An orgloop app with the flags routes for tests, a live server for it, and small builders."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from orgloop.app import Services, create_app
from orgloop.catalog.models import DescriptorIn
from orgloop.flags import api as flags_api
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.models import TokenCreate


def flag_service(services: Services) -> FlagService:
    existing = getattr(services, "flags", None)
    if isinstance(existing, FlagService):
        return existing
    return FlagService(
        db=services.db,
        audit=services.audit,
        clock=services.clock,
        bus=services.bus,
        catalog=services.catalog,
    )


def flags_app(
    services: Services, *, heartbeat: float = 15.0, events: list[dict[str, Any]] | None = None
) -> FastAPI:
    """``create_app`` plus the flags routes (unless already wired) and, optionally, a recording
    ``POST /api/v1/events`` placed first so it answers even when the real ingest is mounted."""
    services.settings.sse_heartbeat_seconds = heartbeat
    app = create_app(services=services)
    if not any(getattr(r, "path", "") == "/api/v1/flags" for r in app.routes):
        app.include_router(
            flags_api.build_router(flags=flag_service(services), heartbeat_seconds=heartbeat)
        )
    if events is not None:
        recorder = FastAPI()

        @recorder.post("/api/v1/events", status_code=202)
        async def record(request: Request) -> dict[str, int]:
            batch = (await request.json())["events"]
            events.extend(batch)
            return {"accepted": len(batch)}

        app.router.routes.insert(0, recorder.router.routes[-1])
    return app


def add_team(services: Services, name: str) -> None:
    descriptor = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": name},
        "spec": {"type": "team", "children": []},
    }
    services.catalog.put_entity(DescriptorIn(descriptor=descriptor), actor=SYSTEM)


def sdk_key(services: Services, environment: str) -> str:
    created = services.tokens.create(TokenCreate(role="sdk", environment=environment), actor=SYSTEM)
    return created.secret


def member_token(services: Services, team: str) -> str:
    return services.tokens.create(TokenCreate(role="member", team=team), actor=SYSTEM).secret


class LiveApp:
    """A real uvicorn server for one app, on a loopback port, in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveApp:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 20 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
