"""Validates the spans of one OTLP export and flattens it: the body and trace ids the store
keeps, halves for pairing, and the services seen. One pass over the spans; only CLIENT, SERVER,
PRODUCER and CONSUMER spans have their attributes read (pairing needs them), and the export is
stored as its protobuf bytes, not re-encoded per span: the per-span cost is what ingest's
throughput is made of. Spans are read through ``lean.LeanExport`` (attributes as maps indexed
by upb while parsing), and only the keys pairing and the graph read are looked up.

A span is rejected (and counted for the response's ``partial_success``) when its trace id is not
16 bytes or all zero, its span id not 8 bytes or all zero, its parent id neither empty nor 8
bytes, its end before its start, or its times outside the accepted window (ending more than
``max_age`` ago, starting more than ``max_skew`` in the future). A resource without
``service.name`` is stored as ``unknown_service``, as the OpenTelemetry SDKs name it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from orgloop.kernel.errors import PayloadTooLarge
from orgloop.traces import semconv
from orgloop.traces.lean import LeanExport
from orgloop.traces.pairing import CLIENT_KINDS, SERVER_KINDS, Half, PairingConfig
from orgloop.traces.sampling import adjusted_count

UNKNOWN_SERVICE = "unknown_service"
#: What the JSON decoder puts in place of an id that is not hex (no valid id is one byte long).
NOT_HEX = b"\xff"
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_SHOWN_REASONS = 5


@dataclass(frozen=True)
class IngestLimits:
    max_spans: int = 100_000
    max_age: timedelta = timedelta(hours=72)
    max_skew: timedelta = timedelta(minutes=15)


#: service.name -> spans accepted in this export
ServicesSeen = dict[str, int]


@dataclass
class Flat:
    """One export, validated: what the store keeps and what pairing needs."""

    body: bytes
    trace_ids: set[bytes]
    halves: list[Half]
    services: ServicesSeen
    env: str = ""
    accepted: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def message(self) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.reasons)
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.rejected} span(s) rejected: " + "; ".join(self.reasons) + tail


def value_text(value: AnyValue) -> str:
    """An attribute value as text (arrays joined by commas); used for dimensions."""
    text = value.string_value
    if text:
        return text
    kind = value.WhichOneof("value")
    if kind is None or kind == "string_value":
        return ""
    if kind == "array_value":
        return ",".join(value_text(v) for v in value.array_value.values)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return repr(value.double_value)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return ""


def _present(attributes: Any, keys: tuple[str, ...]) -> dict[str, str]:
    """The values of those of ``keys`` that a span or resource carries (its attributes map)."""
    found: dict[str, str] = {}
    get = attributes.get  # a lookup in the map upb built while parsing, in C
    for key in keys:
        value = get(key)
        if value is not None:
            found[key] = value_text(value)
    return found


def flatten(
    request: ExportTraceServiceRequest,
    *,
    now: datetime,
    limits: IngestLimits,
    environment: str | None = None,
    config: PairingConfig | None = None,
    raw: bytes | None = None,
) -> Flat:
    """Validate and flatten one export. ``raw`` is the export's protobuf encoding when the
    caller has it (it is stored as is unless spans had to be removed); the spans are read from
    it through ``lean.LeanExport``, which indexes attributes by key while parsing."""
    total = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
    if total > limits.max_spans:
        raise PayloadTooLarge(
            f"export holds {total} spans, more than the limit of {limits.max_spans}; "
            "send smaller batches",
            details={"spans": total, "limit": limits.max_spans},
        )
    config = config or PairingConfig()
    keys = _keys(config)
    if raw is None:
        raw = request.SerializeToString()
    lean = LeanExport.FromString(raw)
    now_ns = int(now.timestamp() * 1e9)
    oldest = now_ns - int(limits.max_age.total_seconds() * 1e9)
    newest = now_ns + int(limits.max_skew.total_seconds() * 1e9)
    flat = Flat(body=b"", trace_ids=set(), halves=[], services={}, env=environment or "")
    trace_ids, halves = flat.trace_ids, flat.halves
    add_trace, add_half = trace_ids.add, halves.append
    removed: list[tuple[int, int, int]] = []
    for r_index, resource_spans in enumerate(lean.resource_spans):
        resource = _present(resource_spans.resource.attributes, keys.resource)
        service = resource.get(semconv.SERVICE_NAME) or UNKNOWN_SERVICE
        version = resource.get(semconv.SERVICE_VERSION, "")
        env = _first(resource, semconv.DEPLOYMENT_ENVIRONMENT) or environment or ""
        count = 0
        for s_index, scope_spans in enumerate(resource_spans.scope_spans):
            for index, span in enumerate(scope_spans.spans):
                trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if (
                    len(trace_id) != 16
                    or len(span_id) != 8
                    or (parent and len(parent) != 8)
                    or trace_id == _ZERO_TRACE
                    or span_id == _ZERO_SPAN
                    or not oldest <= end
                    or not start <= newest
                    or end < start
                ):
                    problem = _problem(trace_id, span_id, parent, start, end, oldest, newest)
                    flat.rejected += 1
                    removed.append((r_index, s_index, index))
                    if len(flat.reasons) < _SHOWN_REASONS:
                        where = f"resourceSpans[{r_index}].scopeSpans[{s_index}].spans[{index}]"
                        flat.reasons.append(f"{where}.{problem}")
                    continue
                count += 1
                add_trace(trace_id)
                kind = span.kind
                if kind in _PAIRED_KINDS:
                    if parent == _ZERO_SPAN:
                        parent = b""  # an all-zero parent id means "no parent"
                    attributes = span.attributes
                    state = span.trace_state
                    sampling = attributes.get(_SAMPLING)
                    add_half(
                        Half(
                            trace_id,
                            span_id,
                            parent,
                            kind,
                            service,
                            start,
                            (end - start) / 1e9,
                            span.status.code == 2,
                            _pairing_attributes(attributes, resource, keys, kind in CLIENT_KINDS),
                            resource,
                            _weight(state, sampling) if state or sampling is not None else 1.0,
                            version,
                            _operation(attributes, span.name),
                            _variant(attributes),
                            env,
                        )
                    )
        if count:
            flat.accepted += count
            flat.services[service] = flat.services.get(service, 0) + count
            flat.env = flat.env or env
    flat.body = _stored_body(request, raw, removed)
    return flat


@dataclass(frozen=True)
class _Keys:
    """The attribute keys pairing reads (dimensions; for clients the database and peer
    attributes), and the resource's."""

    dimensions: tuple[str, ...]
    databases: tuple[str, ...]
    peers: tuple[str, ...]
    resource: tuple[str, ...]


@lru_cache(maxsize=64)
def _keys(config: PairingConfig) -> _Keys:
    return _Keys(
        dimensions=config.dimensions,
        databases=config.database_name_attributes,
        peers=config.virtual_node_peer_attributes,
        resource=tuple(dict.fromkeys((*config.dimensions, *_RESOURCE_KEYS))),
    )


def _pairing_attributes(
    attributes: Any, resource: dict[str, str], keys: _Keys, client: bool
) -> dict[str, str]:
    """What pairing reads of a span's attributes, and no more: a dimension only where the
    resource has no value for it (pairing prefers the resource's), for a client the database
    names, and its peer attributes up to the first with a value (the one a virtual node takes)."""
    get = attributes.get  # a lookup in the map upb built while parsing, in C
    found: dict[str, str] = {}
    for key in keys.dimensions:
        if not resource.get(key):
            value = get(key)
            if value is not None:
                found[key] = value_text(value)
    if not client:
        return found
    for key in keys.databases:
        value = get(key)
        if value is not None:
            found[key] = value_text(value)
    for key in keys.peers:
        text = found.get(key)
        if text is None:
            value = get(key)
            if value is None:
                continue
            text = found[key] = value_text(value)
        if text:
            break
    return found


def _stored_body(
    request: ExportTraceServiceRequest, raw: bytes | None, removed: list[tuple[int, int, int]]
) -> bytes:
    """The export as it is stored: without its rejected spans (the rare case re-encodes it)."""
    if not removed:
        return raw if raw is not None else request.SerializeToString()
    for r_index, s_index, index in reversed(removed):
        del request.resource_spans[r_index].scope_spans[s_index].spans[index]
    return request.SerializeToString()


_PAIRED_KINDS = CLIENT_KINDS | SERVER_KINDS
_SAMPLING = semconv.SAMPLING_PROBABILITY
_RESOURCE_KEYS = (semconv.SERVICE_NAME, semconv.SERVICE_VERSION, *semconv.DEPLOYMENT_ENVIRONMENT)


def _problem(
    trace_id: bytes, span_id: bytes, parent: bytes, start: int, end: int, oldest: int, newest: int
) -> str | None:
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
        return _id_problem("traceId", trace_id, 16)
    if len(span_id) != 8 or span_id == _ZERO_SPAN:
        return _id_problem("spanId", span_id, 8)
    if parent and len(parent) != 8:
        return _id_problem("parentSpanId", parent, 8)
    if end < start:
        return "endTimeUnixNano: is before startTimeUnixNano"
    if end < oldest:
        return "endTimeUnixNano: is older than the accepted window (the retention period)"
    if start > newest:
        return "startTimeUnixNano: is too far in the future (clock skew over the limit)"
    return None


def _id_problem(name: str, value: bytes, size: int) -> str:
    if not value:
        return f"{name}: is missing"
    if value == NOT_HEX:
        return f"{name}: is not a hex string of {size * 2} digits"
    if len(value) == size:
        return f"{name}: is all zeros, which is invalid"
    return f"{name}: must be {size} bytes ({size * 2} hex digits), got {len(value)}"


def _first(values: dict[str, str], names: Iterable[str]) -> str | None:
    for name in names:
        if values.get(name):
            return values[name]
    return None


def _text(attributes: Any, key: str) -> str:
    value = attributes.get(key)
    return "" if value is None else value_text(value)


def _operation(attributes: Any, name: str) -> str:
    route = _text(attributes, semconv.HTTP_ROUTE)
    if route:
        return route
    method = _text(attributes, semconv.RPC_METHOD)
    if method:
        return f"{_text(attributes, semconv.RPC_SERVICE)}/{method}"
    return name


def _variant(attributes: Any) -> str:
    variants = _text(attributes, semconv.VARIANTS)
    if variants:
        return variants
    flag = _text(attributes, "feature_flag.key")
    if not flag:
        return ""
    chosen = _text(attributes, "feature_flag.result.variant") or _text(
        attributes, "feature_flag.variant"
    )
    return f"{flag}={chosen}" if chosen else ""


def _weight(tracestate: str, sampling: AnyValue | None) -> float:
    raw = value_text(sampling) if sampling is not None else ""
    try:
        probability = float(raw) if raw else None
    except ValueError:
        probability = None
    return adjusted_count(tracestate, probability)
