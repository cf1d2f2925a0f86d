"""One trace as a waterfall: its spans found in the stored exports, with owning teams."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from orgloop.traces import semconv
from orgloop.traces.catalogmap import CatalogIndex
from orgloop.traces.intake import UNKNOWN_SERVICE
from orgloop.traces.models import SpanKind, SpanStatus, SpanView, TraceView
from orgloop.traces.store_reads import StoredExport

KINDS: tuple[SpanKind, ...] = (
    "unspecified",
    "internal",
    "server",
    "client",
    "producer",
    "consumer",
)
STATUSES: tuple[SpanStatus, ...] = ("unset", "ok", "error")


def value(v: AnyValue) -> Any:
    """An OTLP attribute value as plain JSON data."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attributes(v.kvlist_value.values)
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind) if kind else None


def attributes(items: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in items}


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def span_view(span: Span, resource: Resource, service: str, index: CatalogIndex) -> SpanView:
    component = index.component_of(service)
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    return SpanView(
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() or None,
        service=service,
        component=component.ref if component else None,
        team=component.owner if component else None,
        name=span.name,
        kind=KINDS[span.kind] if 0 <= span.kind < len(KINDS) else "unspecified",
        start=_time(start),
        end=_time(end),
        start_unix_nano=start,
        duration_seconds=(end - start) / 1e9,
        status=STATUSES[span.status.code] if span.status.code < 3 else "unset",
        status_message=span.status.message,
        attributes=attributes(span.attributes),
        resource=attributes(resource.attributes),
        events=[
            {
                "name": e.name,
                "time": _time(e.time_unix_nano),
                "attributes": attributes(e.attributes),
            }
            for e in span.events
        ],
    )


def spans_of(trace_id: bytes, exports: list[StoredExport]) -> Iterator[tuple[Span, Resource, str]]:
    """The spans of one trace in stored exports, each once (an exporter that retries after a
    lost response sends a span twice), with their resource and service name."""
    seen: set[bytes] = set()
    for stored in exports:
        request = ExportTraceServiceRequest.FromString(stored.body)
        for resource_spans in request.resource_spans:
            service = ""
            for kv in resource_spans.resource.attributes:
                if kv.key == semconv.SERVICE_NAME:
                    service = kv.value.string_value
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    if span.trace_id == trace_id and span.span_id not in seen:
                        seen.add(span.span_id)
                        yield span, resource_spans.resource, service or UNKNOWN_SERVICE


def trace_view(
    trace_id: bytes, exports: list[StoredExport], *, index: CatalogIndex
) -> TraceView | None:
    spans = [span_view(s, r, name, index) for s, r, name in spans_of(trace_id, exports)]
    if not spans:
        return None
    spans.sort(key=lambda s: (s.start_unix_nano, s.span_id))
    start = min(s.start_unix_nano for s in spans)
    end = max(s.start_unix_nano + int(s.duration_seconds * 1e9) for s in spans)
    return TraceView(
        trace_id=trace_id.hex(),
        start=_time(start),
        duration_seconds=(end - start) / 1e9,
        services=sorted({s.service for s in spans}),
        errors=sum(1 for s in spans if s.status == "error"),
        spans=spans,
    )
