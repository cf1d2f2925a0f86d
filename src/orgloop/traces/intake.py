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

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from orgloop.kernel.errors import PayloadTooLarge
from orgloop.traces import semconv
from orgloop.traces.columns import HalfColumns
from orgloop.traces.lean import LeanExport
from orgloop.traces.pairing import CLIENT_KINDS, KIND_CLIENT, SERVER_KINDS, PairingConfig
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
    halves: HalfColumns
    services: ServicesSeen
    env: str = ""
    accepted: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    resend_key: bytes = b""  # what recognises this export sent again (``resend.key_of``)

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


def text_of(raw: bytes | None) -> str:
    """An encoded ``AnyValue`` (a lean attribute value) as text; "" for None."""
    if not raw:
        return ""
    size = raw[1] if len(raw) > 1 else 0x80
    if raw[0] == 0x0A and size < 0x80 and len(raw) == size + 2:  # a short string_value alone
        return raw[2:].decode("utf-8", "replace")
    return value_text(AnyValue.FromString(raw))


def texts(raws: list[bytes | None]) -> list[str]:
    """A column of encoded values as text: each distinct value decoded once (they repeat)."""
    table = {raw: text_of(raw) for raw in set(raws)}
    return list(map(table.__getitem__, raws))


def _present(attributes: Any, keys: tuple[str, ...]) -> dict[str, str]:
    """The values of those of ``keys`` that a span or resource carries (its attributes map)."""
    found: dict[str, str] = {}
    get = attributes.get  # a lookup in the map upb built while parsing, in C
    for key in keys:
        value = get(key)
        if value is not None:
            found[key] = text_of(value)
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
    it through ``lean.LeanExport``, which indexes attributes by key while parsing, a column at a
    time (see the module's docstring)."""
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
    window = (
        now_ns - int(limits.max_age.total_seconds() * 1e9),
        now_ns + int(limits.max_skew.total_seconds() * 1e9),
    )
    flat = Flat(body=b"", trace_ids=set(), halves=HalfColumns(), services={}, env=environment or "")
    removed: list[tuple[int, int, int]] = []
    for r_index, resource_spans in enumerate(lean.resource_spans):
        resource = _present(resource_spans.resource.attributes, keys.resource)
        service = resource.get(semconv.SERVICE_NAME) or UNKNOWN_SERVICE
        env = _first(resource, semconv.DEPLOYMENT_ENVIRONMENT) or environment or ""
        side = _Resource(service, resource.get(semconv.SERVICE_VERSION, ""), env, resource)
        count = 0
        for s_index, scope_spans in enumerate(resource_spans.scope_spans):
            spans = list(scope_spans.spans)
            if not spans:
                continue
            columns = _valid(spans, window, flat, removed, (r_index, s_index))
            if columns is None:
                continue
            spans, fields = columns
            count += len(spans)
            flat.trace_ids.update(fields[0])
            flat.halves.extend(_halves(spans, fields, side, keys, raw))
        if count:
            flat.accepted += count
            flat.services[service] = flat.services.get(service, 0) + count
            flat.env = flat.env or env
    flat.body = _stored_body(request, raw, removed)
    return flat


_Columns = tuple[tuple[Any, ...], ...]


def _valid(
    spans: list[Any],
    window: tuple[int, int],
    flat: Flat,
    removed: list[tuple[int, int, int]],
    where: tuple[int, int],
) -> tuple[list[Any], _Columns] | None:
    """The valid spans of a scope and their id and time columns; the others are counted,
    explained (the first few) and noted for removal. Checked a column at a time; only when a
    check fails is each span looked at."""
    oldest, newest = window
    columns = tuple(zip(*map(_IDS, spans), strict=True))
    trace_ids, span_ids, parents, _kinds, starts, ends = columns[:6]
    if (
        set(map(len, trace_ids)) == {16}
        and set(map(len, span_ids)) == {8}
        and set(map(len, parents)) <= {0, 8}
        and _ZERO_TRACE not in trace_ids
        and _ZERO_SPAN not in span_ids
        and min(ends) >= oldest
        and max(starts) <= newest
        and all(map(operator.le, starts, ends))
    ):
        return spans, columns
    keep = []
    for index, (trace_id, span_id, parent, _kind, start, end, *_) in enumerate(
        zip(*columns, strict=True)
    ):
        problem = _problem(trace_id, span_id, parent, start, end, oldest, newest)
        if problem is None:
            keep.append(index)
            continue
        flat.rejected += 1
        removed.append((*where, index))
        if len(flat.reasons) < _SHOWN_REASONS:
            r_index, s_index = where
            flat.reasons.append(
                f"resourceSpans[{r_index}].scopeSpans[{s_index}].spans[{index}].{problem}"
            )
    if not keep:
        return None
    return [spans[i] for i in keep], tuple(tuple(c[i] for i in keep) for c in columns)


@dataclass(frozen=True)
class _Resource:
    service: str
    version: str
    env: str
    values: dict[str, str]


def _halves(
    spans: list[Any], columns: _Columns, resource: _Resource, keys: _Keys, body: bytes
) -> HalfColumns:
    """The pairing columns of a scope's CLIENT/SERVER/PRODUCER/CONSUMER spans. An attribute
    whose key is nowhere in the export's bytes is not looked up span by span (a lookup costs
    about as much as reading a field, and most keys pairing asks for are absent)."""
    kinds = columns[_KIND]
    chosen = [i for i, kind in enumerate(kinds) if kind in _PAIRED_KINDS]
    if len(chosen) < len(kinds):
        if not chosen:
            return HalfColumns()
        spans = [spans[i] for i in chosen]
        columns = tuple(tuple(c[i] for i in chosen) for c in columns)
    trace_ids, span_ids, parents, kinds, starts, ends, states, statuses = columns
    n = len(spans)
    attributes = [s.attributes for s in spans]

    def column(key: str, rows: list[int] | None = None) -> list[str]:
        if key.encode() not in body:
            return [""] * (n if rows is None else len(rows))
        get = operator.methodcaller("get", key)
        if rows is None:
            return texts(list(map(get, attributes)))
        return texts([get(attributes[i]) for i in rows])

    operation = column(semconv.HTTP_ROUTE)
    if "" in operation:
        _fill_operations(operation, spans, column)
    variant = column(semconv.VARIANTS)
    if "" in variant:
        _fill_variants(variant, column)
    clients = [i for i, kind in enumerate(kinds) if kind in CLIENT_KINDS]
    db, peer = [""] * n, [""] * n
    if clients:
        _first_of(db, keys.databases, [i for i in clients if kinds[i] == KIND_CLIENT], column)
        _first_of(peer, keys.peers, clients, column)
    dims = [_dimension(resource.values.get(name), name, n, column) for name in keys.dimensions]
    sampling = (
        list(map(operator.methodcaller("get", _SAMPLING), attributes))
        if _SAMPLING_BYTES in body
        else None
    )
    return HalfColumns(
        trace_id=list(trace_ids),
        span_id=list(span_ids),
        parent_span_id=[b"" if p == _ZERO_SPAN else p for p in parents]
        if _ZERO_SPAN in parents
        else list(parents),
        kind=list(kinds),
        service=[resource.service] * n,
        start_ns=list(starts),
        seconds=[(end - start) / 1e9 for start, end in zip(starts, ends, strict=True)],
        failed=[bool(s) and _failed(s) for s in statuses] if any(statuses) else [False] * n,
        weight=_weights(states, sampling),
        version=[resource.version] * n,
        operation=operation,
        variant=variant,
        env=[resource.env] * n,
        dims=list(zip(*dims, strict=True)) if dims else [()] * n,
        db=db,
        peer=peer,
    )


def _failed(status: bytes) -> bool:
    return bool(Status.FromString(status).code == Status.STATUS_CODE_ERROR)


_Column = Callable[..., list[str]]


def _fill_operations(operation: list[str], spans: list[Any], column: _Column) -> None:
    """Where a span has no ``http.route``: ``rpc.service/rpc.method``, else its name."""
    rows = [i for i, text in enumerate(operation) if not text]
    methods = column(semconv.RPC_METHOD, rows)
    services = column(semconv.RPC_SERVICE, rows) if any(methods) else [""] * len(rows)
    for i, method, service in zip(rows, methods, services, strict=True):
        operation[i] = f"{service}/{method}" if method else spans[i].name


def _fill_variants(variant: list[str], column: _Column) -> None:
    """Where a span has no ``orgloop.variants``: ``flag=variant`` from the feature-flag keys."""
    rows = [i for i, text in enumerate(variant) if not text]
    flags = column("feature_flag.key", rows)
    if not any(flags):
        return
    chosen = column("feature_flag.result.variant", rows)
    older = column("feature_flag.variant", rows)
    for i, flag, first, second in zip(rows, flags, chosen, older, strict=True):
        value = first or second
        if flag and value:
            variant[i] = f"{flag}={value}"


def _first_of(out: list[str], names: tuple[str, ...], rows: list[int], column: _Column) -> None:
    """``out[i]``: the first of ``names`` with a value, for each of ``rows``."""
    for name in names:
        if not rows:
            return
        values = column(name, rows)
        for i, value in zip(rows, values, strict=True):
            if value:
                out[i] = value
        rows = [i for i, value in zip(rows, values, strict=True) if not value]


def _dimension(fixed: str | None, name: str, n: int, column: _Column) -> list[str]:
    """A dimension's values: the resource's where it has one, else the span's."""
    if fixed:
        return [fixed] * n
    return column(name)


def _weights(states: tuple[str, ...], sampling: list[bytes | None] | None) -> list[float]:
    if sampling is None:
        if not any(states):
            return [1.0] * len(states)
        sampling = [None] * len(states)
    return [
        _weight(state, value) if state or value is not None else 1.0
        for state, value in zip(states, sampling, strict=True)
    ]


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
#: The span fields read for every span, in the order of ``_Columns``.
_IDS = operator.attrgetter(
    "trace_id", "span_id", "parent_span_id", "kind", "start_time_unix_nano",
    "end_time_unix_nano", "trace_state", "status",
)  # fmt: skip
_KIND = 3
_SAMPLING_BYTES = semconv.SAMPLING_PROBABILITY.encode()
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


def _weight(tracestate: str, sampling: bytes | None) -> float:
    raw = text_of(sampling)
    try:
        probability = float(raw) if raw else None
    except ValueError:
        probability = None
    return adjusted_count(tracestate, probability)
