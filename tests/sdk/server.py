"""The orgloop app for flag and SDK tests, optionally recording events, and small builders."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from orgloop.app import Services, create_app
from orgloop.catalog.models import DescriptorIn
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.models import TokenCreate


def flags_app(
    services: Services, *, heartbeat: float = 15.0, events: list[dict[str, Any]] | None = None
) -> FastAPI:
    """``create_app`` with a given stream heartbeat and, optionally, a recording
    ``POST /api/v1/events`` placed first so it answers instead of the real ingest."""
    services.settings.sse_heartbeat_seconds = heartbeat
    app = create_app(services=services)
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
