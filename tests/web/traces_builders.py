"""Spans of the demo shop for the traces pages: OTLP exports as each service's SDK sends them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from orgloop.app import Services

SERVER, CLIENT = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _attributes(pairs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=str(v))) for k, v in pairs.items()]


def shop_trace(n: int, start: datetime, *, failing: bool) -> list[tuple[str, Span]]:
    """storefront -> checkout -> payments -> fraud-check, and storefront -> payments directly."""
    trace_id = bytes.fromhex(TRACE_ID) if n == 0 else n.to_bytes(16, "big")
    t0 = int(start.timestamp() * 1e9) + n * 1_000_000
    layout = [  # (service, kind, name, parent index, offset ms, duration ms, attributes)
        ("storefront", SERVER, "GET /checkout", None, 0, 90, {"http.route": "/checkout"}),
        ("storefront", CLIENT, "POST", 0, 2, 70, {"server.address": "checkout"}),
        ("checkout", SERVER, "POST /orders", 1, 3, 66,
         {"http.route": "/orders", "orgloop.variants": f"checkout-test={'b' if n % 2 else 'a'}"}),
        ("checkout", CLIENT, "POST", 2, 5, 40, {"server.address": "payments"}),
        ("payments", SERVER, "POST /pay", 3, 6, 38, {"http.route": "/pay"}),
        ("payments", CLIENT, "POST", 4, 8, 20, {"server.address": "fraud-check"}),
        ("fraud-check", SERVER, "POST /score", 5, 9, 18, {"http.route": "/score"}),
        ("storefront", CLIENT, "GET", 0, 75, 10, {"server.address": "payments"}),
        ("payments", SERVER, "GET /methods", 7, 76, 8, {"http.route": "/methods"}),
    ]  # fmt: skip
    spans: list[tuple[str, Span]] = []
    for i, (service, kind, name, parent, offset, duration, attributes) in enumerate(layout):
        span = Span(
            trace_id=trace_id,
            span_id=(n * 16 + i + 1).to_bytes(8, "big"),
            name=name,
            kind=kind,
            start_time_unix_nano=t0 + offset * 1_000_000,
            end_time_unix_nano=t0 + (offset + duration) * 1_000_000,
            attributes=_attributes(attributes),
        )
        if parent is not None:
            span.parent_span_id = spans[parent][1].span_id
        if failing and service == "payments" and kind == SERVER and name == "POST /pay":
            span.status.code = Status.STATUS_CODE_ERROR
            span.status.message = "card declined"
        spans.append((service, span))
    return spans


def export(spans: list[tuple[str, Span]], service: str, version: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        _attributes({"service.name": service, "service.version": version})
    )
    resource_spans.scope_spans.add().spans.extend(s for name, s in spans if name == service)
    return request


def send_shop_traces(services: Services, now: datetime, traces: int = 20) -> None:
    """``traces`` traces ten minutes before ``now``; one in four fails in payments."""
    start = now - timedelta(minutes=10)
    spans = [s for n in range(traces) for s in shop_trace(n, start, failing=n % 4 == 0)]
    versions = {"storefront": "5.2.0", "checkout": "3.1.0", "payments": "1.3.0",
                "fraud-check": "0.4.0"}  # fmt: skip
    for service, version in versions.items():
        _summary, stored = services.traces.ingest(export(spans, service, version))
        stored.result(timeout=30)
    services.traces.flush()


_SENT: set[int] = set()


def ensure_shop_traces(services: Services, now: datetime) -> None:
    """``send_shop_traces`` once per server (the web tests share one)."""
    if id(services) not in _SENT:
        send_shop_traces(services, now)
        _SENT.add(id(services))
