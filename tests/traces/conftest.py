"""Fixtures of the traces tests: SDK keys and an OTLP client over the whole app."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from orgloop.app import Services, build_services, create_app
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import RandomIds
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def new_token(services: Services, role: str, **extra: str) -> str:
    return services.tokens.create(TokenCreate(role=role, **extra), actor=SYSTEM).secret  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trace_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The whole server's services on SQLite, once per module (the receiver stores no SQL; each
    test uses its own trace ids and service names)."""
    root = tmp_path_factory.mktemp("traces")
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'o.db'}")
    services = build_services(settings, clock=FixedClock(), ids=RandomIds())
    yield services
    services.close()


@pytest.fixture(scope="module")
def trace_app(trace_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=trace_services), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def sdk_key(trace_services: Services) -> str:
    return new_token(trace_services, "sdk", environment="production")


@pytest.fixture
def raw_client(trace_app: TestClient) -> Iterator[TestClient]:
    """The module's app client, without credentials."""
    trace_app.headers.pop("Authorization", None)
    yield trace_app
    trace_app.headers.pop("Authorization", None)


@pytest.fixture
def otlp(raw_client: TestClient, sdk_key: str) -> TestClient:
    """The app client with an SDK key (environment ``production``)."""
    raw_client.headers["Authorization"] = f"Bearer {sdk_key}"
    return raw_client


def post_protobuf(
    client: TestClient, request: ExportTraceServiceRequest, *, compress: bool = False
) -> tuple[int, ExportTraceServiceResponse]:
    body = request.SerializeToString()
    headers = dict(PROTOBUF)
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    response = client.post("/v1/traces", content=body, headers=headers)
    reply = ExportTraceServiceResponse()
    if response.status_code == 200:
        assert response.headers["content-type"] == "application/x-protobuf"
        reply.ParseFromString(response.content)
    return response.status_code, reply
