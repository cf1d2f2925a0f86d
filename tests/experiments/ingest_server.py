"""The server the crash test runs in a child process: the kernel app plus the ingest router.

Run as ``python -m uvicorn --factory tests.experiments.ingest_server:create_app``; settings come
from ``ORGLOOP_*`` variables like ``orgloop serve``.
"""

from __future__ import annotations

from fastapi import FastAPI

from orgloop.app import build_services
from orgloop.app import create_app as create_kernel_app
from orgloop.experiments.ingest.api import build_router
from orgloop.experiments.ingest.store import EventStore
from orgloop.kernel.settings import Settings


def create_app() -> FastAPI:
    settings = Settings()
    services = build_services(settings)
    app = create_kernel_app(services=services)
    app.include_router(build_router(store=EventStore.in_data_dir(settings.data_dir)))
    return app
