"""The server the crash test runs in a child process: the app ``orgloop serve`` runs.

Run as ``python -m uvicorn --factory tests.experiments.ingest_server:create_app``; settings come
from ``ORGLOOP_*`` variables like ``orgloop serve``.  The app's own ingest route (and its event
store in the data directory) is the one under test.
"""

from __future__ import annotations

from fastapi import FastAPI

from orgloop.app import build_services
from orgloop.app import create_app as create_orgloop_app
from orgloop.kernel.settings import Settings


def create_app() -> FastAPI:
    return create_orgloop_app(services=build_services(Settings()))
