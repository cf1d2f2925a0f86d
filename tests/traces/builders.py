"""Builders of OTLP exports for the traces tests: protobuf messages, near a given time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

#: The tests' FixedClock starts here; spans start here unless told otherwise.
BASE = datetime(2026, 1, 1, tzinfo=UTC)
BASE_NS = int(BASE.timestamp() * 1e9)

SERVER = Span.SPAN_KIND_SERVER
CLIENT = Span.SPAN_KIND_CLIENT
PRODUCER = Span.SPAN_KIND_PRODUCER
CONSUMER = Span.SPAN_KIND_CONSUMER
INTERNAL = Span.SPAN_KIND_INTERNAL


def new_trace_id() -> bytes:
    return os.urandom(16)


def new_span_id() -> bytes:
    return os.urandom(8)


def kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


@dataclass
class SpanSpec:
    service: str
    kind: int
    trace_id: bytes
    span_id: bytes = field(default_factory=new_span_id)
    parent_span_id: bytes = b""
    name: str = "op"
    start_ns: int = BASE_NS
    duration_ns: int = 10_000_000
    error: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    version: str = "1.0.0"
    trace_state: str = ""

    def span(self) -> Span:
        span = Span(
            trace_id=self.trace_id,
            span_id=self.span_id,
            parent_span_id=self.parent_span_id,
            name=self.name,
            kind=self.kind,  # type: ignore[arg-type]
            start_time_unix_nano=self.start_ns,
            end_time_unix_nano=self.start_ns + self.duration_ns,
            trace_state=self.trace_state,
            attributes=[kv(k, v) for k, v in self.attributes.items()],
        )
        if self.error:
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="boom"))
        return span


def export(*specs: SpanSpec, resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:
    """One ResourceSpans per (service, version), in the order first seen."""
    request = ExportTraceServiceRequest()
    groups: dict[tuple[str, str], ResourceSpans] = {}
    for spec in specs:
        group = groups.get((spec.service, spec.version))
        if group is None:
            group = request.resource_spans.add()
            attrs = {"service.name": spec.service, "service.version": spec.version}
            attrs.update(resource or {})
            group.resource.attributes.extend(kv(k, v) for k, v in attrs.items())
            group.scope_spans.add().scope.name = "tests"
            groups[(spec.service, spec.version)] = group
        group.scope_spans[0].spans.append(spec.span())
    return request


def call(
    client: str,
    server: str,
    *,
    at: datetime,
    trace_id: bytes | None = None,
    client_seconds: float = 0.02,
    server_seconds: float = 0.01,
    error: bool = False,
    route: str = "/orders/{id}",
    server_attributes: dict[str, Any] | None = None,
    client_version: str = "1.0.0",
    server_version: str = "2.0.0",
) -> tuple[SpanSpec, SpanSpec]:
    """A CLIENT span in ``client`` and the SERVER span it caused in ``server``."""
    trace = trace_id or new_trace_id()
    start = int(at.timestamp() * 1e9)
    outgoing = SpanSpec(
        client,
        CLIENT,
        trace,
        name="GET",
        start_ns=start,
        duration_ns=int(client_seconds * 1e9),
        version=client_version,
    )
    incoming = SpanSpec(
        server,
        SERVER,
        trace,
        parent_span_id=outgoing.span_id,
        name=f"GET {route}",
        start_ns=start + 1000,
        duration_ns=int(server_seconds * 1e9),
        error=error,
        attributes={"http.route": route, **(server_attributes or {})},
        version=server_version,
    )
    return outgoing, incoming


def _entity(kind: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "descriptor": {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, **metadata},
            "spec": spec,
        },
        "file": "catalog-info.yaml",
    }


def shop_catalog() -> list[dict[str, Any]]:
    """Two teams; ``web`` consumes the orders API and declares it depends on ``billing`` and on
    the ``shop-db`` resource; the orders service reports ``service.name`` ``orders``."""
    service = {"type": "service", "lifecycle": "production"}
    return [
        _entity("Group", "storefront", {"type": "team", "children": []}),
        _entity("Group", "money", {"type": "team", "children": []}),
        _entity(
            "Component",
            "web",
            {
                **service,
                "owner": "storefront",
                "consumesApis": ["orders-api"],
                "dependsOn": ["component:billing", "resource:shop-db"],
            },
        ),
        _entity(
            "Component",
            "orders-service",
            {**service, "owner": "storefront", "providesApis": ["orders-api"]},
            annotations={"orgloop.dev/service-name": "orders"},
        ),
        _entity("Component", "billing", {**service, "owner": "money"}),
        _entity(
            "API",
            "orders-api",
            {
                "type": "openapi",
                "lifecycle": "production",
                "owner": "storefront",
                "definition": "openapi: 3.0.0",
            },
        ),
        _entity("Resource", "shop-db", {"type": "database", "owner": "storefront"}),
    ]
