"""The real OpenTelemetry Python SDK and its OTLP/HTTP exporter send to a live orgloop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from orgloop.app import Services, build_services, create_app
from orgloop.kernel.clock import SystemClock
from orgloop.kernel.settings import Settings
from tests.live import LiveServer
from tests.traces.conftest import new_token


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, Services]]:
    """A live server on the wall clock (the SDK stamps spans with the real time)."""
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    services = build_services(settings, clock=SystemClock())
    with LiveServer(create_app(services=services)) as server:
        yield server, services
    services.close()


def provider(service: str, version: str, url: str, key: str) -> TracerProvider:
    resource = Resource.create({"service.name": service, "service.version": version})
    exporter = OTLPSpanExporter(
        endpoint=f"{url}/v1/traces",
        headers={"Authorization": f"Bearer {key}"},
        compression=Compression.Gzip,
    )
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=512))
    return tracer_provider


def test_two_services_traced_by_the_sdk_make_an_edge(live: tuple[LiveServer, Services]) -> None:
    server, services = live
    key = new_token(services, "sdk", environment="staging")
    web = provider("web", "1.4.0", server.url, key)
    orders = provider("orders", "2.0.1", server.url, key)
    web_tracer, orders_tracer = web.get_tracer("web"), orders.get_tracer("orders")
    for i in range(5):
        with web_tracer.start_as_current_span("GET orders", kind=SpanKind.CLIENT):
            carrier: dict[str, str] = {}
            inject(carrier)  # W3C traceparent, as an instrumented HTTP client sends it
        with orders_tracer.start_as_current_span(
            "GET /orders/{id}",
            context=extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.route": "/orders/{id}", "orgloop.variants": "checkout=green"},
        ) as span:
            if i == 0:
                span.set_status(Status(StatusCode.ERROR))
    assert web.force_flush()
    assert orders.force_flush()
    web.shutdown()
    orders.shutdown()

    admin = new_token(services, "admin")
    response = httpx.get(
        f"{server.url}/api/v1/traces/graph",
        params={"since": "15m", "env": "staging"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert response.status_code == 200
    (edge,) = response.json()["edges"]
    assert (edge["client"], edge["server"], edge["connection_type"]) == ("web", "orders", "")
    assert (edge["requests"], edge["failed"]) == (5, 1)
    assert [(s["value"], s["requests"]) for s in edge["by_server_version"]] == [("2.0.1", 5)]
    assert [(s["value"], s["requests"]) for s in edge["by_client_version"]] == [("1.4.0", 5)]
    assert [s["value"] for s in edge["by_operation"]] == ["/orders/{id}"]
    assert [s["value"] for s in edge["by_variant"]] == ["checkout=green"]
    assert edge["server_latency"]["p99"] is not None
