"""``python -m orgloop.demo.service NAME --port P``: one of the demo shop's services, as a process.

A FastAPI app with the routes ``routes.ROUTES[NAME]``, flags and events through
``orgloop.sdk.Client``, traces through ``orgloop.sdk.instrument`` (so the httpx calls to its peers
carry ``traceparent`` and ``baggage``). Read from the environment: ``ORGLOOP_URL``,
``ORGLOOP_SDK_KEY`` and ``ORGLOOP_DEMO_PEERS`` (JSON: service name -> base URL). ``POST
/admin/flush`` (untraced) sends what is queued, so the demo analyses complete data.

The SDK client's clock is the request's simulated moment: the baggage entry
``traffic.SIMULATED_TIME`` the traffic sends with each visit, which OpenTelemetry keeps in the
request's context and propagates to every call the request makes (the real time when a request
carries none). Spans keep the real time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from opentelemetry import baggage

from orgloop.demo.routes import ROUTES, VERSIONS, Context, Handler
from orgloop.demo.server import skip_sniffio
from orgloop.demo.traffic import SIMULATED_TIME
from orgloop.sdk import Client, Telemetry, instrument

PEER_CONNECTIONS = 16
"""Connections to each peer at most: more than the customers the traffic sends at once."""


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
        clock=simulated_now,  # each exposure and event at its visit's simulated moment
    )
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        flags.wait_until_ready(30)
        async with AsyncExitStack() as clients:
            state["ctx"] = Context(
                flags=flags,
                peers={
                    peer: await clients.enter_async_context(_client(base))
                    for peer, base in peers.items()
                },
            )
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


def simulated_now() -> float:
    """The simulated moment of the request being served (epoch seconds), else the real time."""
    at = baggage.get_baggage(SIMULATED_TIME)
    if at is None:
        return time.time()
    try:
        moment = float(str(at))
    except ValueError:  # not a number: the request is not the demo's traffic
        return time.time()
    return moment if math.isfinite(moment) else time.time()


def _client(base_url: str) -> httpx.AsyncClient:
    """A client for one peer: its own small pool, every connection kept alive.

    One pool per peer, sized for the requests in flight (``PEER_CONNECTIONS``): httpcore walks
    every connection of a pool on each request and response, so one big pool shared by all peers
    cost the storefront most of its CPU. Keeping as many connections alive as the pool may open
    (httpx keeps 20 by default) means none is closed and reopened under load. Idle connections
    are closed by the client (30 s) before the peer's server does (75 s), and a refused
    connection is tried again: under load a peer's backlog may be full.
    """
    limits = httpx.Limits(
        max_connections=PEER_CONNECTIONS,
        max_keepalive_connections=PEER_CONNECTIONS,
        keepalive_expiry=30,
    )
    transport = httpx.AsyncHTTPTransport(limits=limits, retries=3)
    return httpx.AsyncClient(base_url=base_url, timeout=60, transport=transport)


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
    skip_sniffio()
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
