"""``python -m orgloop.demo.service NAME --port P``: one of the demo shop's services, as a process.

A FastAPI app with the routes ``routes.ROUTES[NAME]``, flags and events through
``orgloop.sdk.Client``, traces through ``orgloop.sdk.instrument`` (so the httpx calls to its peers
carry ``traceparent``). Read from the environment: ``ORGLOOP_URL``, ``ORGLOOP_SDK_KEY`` and
``ORGLOOP_DEMO_PEERS`` (JSON: service name -> base URL). ``POST /admin/flush`` (untraced) sends
what is queued, so the demo analyses complete data.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request

from orgloop.demo.routes import ROUTES, VERSIONS, Context, Handler
from orgloop.sdk import Client, Telemetry, instrument


def build_app(name: str, *, url: str, sdk_key: str, peers: dict[str, str]) -> FastAPI:
    """The app of service ``name``; flag client and HTTP client live as long as the app."""
    flags = Client(
        url=url,
        sdk_key=sdk_key,
        environment="production",
        stream=False,
        flush_interval=1.0,
        batch_size=500,
        buffer_size=200_000,
    )
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        flags.wait_until_ready(30)
        # Idle connections are closed by the client (30 s) before the peer's server does (75 s),
        # and a refused connection is tried again: under load a peer's backlog may be full.
        limits = httpx.Limits(max_connections=64, keepalive_expiry=30)
        transport = httpx.AsyncHTTPTransport(limits=limits, retries=3)
        async with httpx.AsyncClient(timeout=60, transport=transport) as http:
            state["ctx"] = Context(flags=flags, http=http, peers=peers)
            yield
        flags.close()
        telemetry: Telemetry = state["telemetry"]
        telemetry.shutdown()

    app = FastAPI(title=name, version=VERSIONS[name], lifespan=lifespan)
    for method, path, handler in ROUTES[name]:
        app.add_api_route(path, _endpoint(handler, state), methods=[method])

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/admin/flush")
    async def flush() -> dict[str, int]:
        await flags.aflush()
        telemetry: Telemetry = state["telemetry"]
        telemetry.flush()
        return {"dropped": flags.dropped}

    state["telemetry"] = instrument(
        app,
        service=name,
        version=VERSIONS[name],
        url=url,
        sdk_key=sdk_key,
        environment="production",
    )
    return app


def _endpoint(handler: Handler, state: dict[str, Any]) -> Any:
    async def endpoint(request: Request) -> dict[str, Any]:
        body = await request.json() if request.method == "POST" else {}
        return await handler(state["ctx"], dict(request.path_params), body)

    endpoint.__name__ = handler.__name__
    return endpoint


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m orgloop.demo.service", description=__doc__)
    parser.add_argument("name", choices=sorted(ROUTES))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # Health checks and flushes are the demo's own calls, not the shop's traffic; spans are
    # exported every half second so the graph fills while the traffic runs.
    os.environ.setdefault("OTEL_PYTHON_ASGI_EXCLUDED_URLS", "health,admin/flush")
    os.environ.setdefault("OTEL_BSP_SCHEDULE_DELAY", "500")
    app = build_app(
        args.name,
        url=os.environ["ORGLOOP_URL"],
        sdk_key=os.environ["ORGLOOP_SDK_KEY"],
        peers=json.loads(os.environ.get("ORGLOOP_DEMO_PEERS", "{}")),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=75,
    )


if __name__ == "__main__":
    main()
