"""Wire models of the traces slice: the service graph, its edges, trace views, unknown services.

Times are UTC; latencies are seconds; ``requests`` and ``failed`` are weighted by each span's
sampling probability (a span sampled at 1 in 10 counts 10), so they are floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ConnectionType = Literal["", "messaging_system", "database", "virtual_node"]
NodeKind = Literal["service", "unknown_service", "virtual", "database", "user"]
SpanKind = Literal["unspecified", "internal", "server", "client", "producer", "consumer"]
SpanStatus = Literal["unset", "ok", "error"]


class Latency(BaseModel):
    """Quantiles of one side's span durations, in seconds (``None`` without data)."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    mean: float | None = None


class EdgeFigures(BaseModel):
    """What happened on calls from one node to another in a window."""

    requests: float = Field(description="Paired calls, weighted by sampling")
    failed: float = Field(description="Calls where the client or server span had status ERROR")
    rate: float = Field(description="Requests per second over the window")
    error_rate: float = Field(description="failed / requests (0 without requests)")
    client_latency: Latency = Field(description="Durations of the client (or producer) spans")
    server_latency: Latency = Field(description="Durations of the server (or consumer) spans")


class EdgeSplit(EdgeFigures):
    """The figures of one edge restricted to one value of a dimension."""

    value: str = Field(description="The dimension's value ('' when the spans did not carry it)")


class GraphEdge(EdgeFigures):
    client: str = Field(description="service.name of the caller (or 'user' for a root server span)")
    server: str = Field(description="service.name of the callee, or the virtual node's name")
    connection_type: ConnectionType
    declared: bool = Field(
        description="The catalog declares this call (dependsOn, or an API the server provides)"
    )
    by_client_version: list[EdgeSplit] = []
    by_server_version: list[EdgeSplit] = []
    by_operation: list[EdgeSplit] = Field(
        default=[], description="By http.route (else rpc service/method, else the span name)"
    )
    by_variant: list[EdgeSplit] = Field(
        default=[], description="By the orgloop.variants attribute ('experiment=variant,...')"
    )


class GraphNode(BaseModel):
    id: str = Field(description="The service.name, or the virtual node's name")
    kind: NodeKind
    component: str | None = Field(default=None, description="Catalog Component ref, when mapped")
    team: str | None = Field(default=None, description="Owning team's ref, when mapped")


class DeclaredEdge(BaseModel):
    """A call the catalog declares, in service names where they are known."""

    client: str = Field(description="Component ref of the declared caller")
    server: str = Field(description="Ref of the declared callee (Component or Resource)")
    via: str = Field(description="'dependsOn', or the API ref consumed")


class UndeclaredCall(BaseModel):
    client: str
    server: str
    requests: float


class ServiceGraph(BaseModel):
    since: datetime
    until: datetime
    env: str | None = None
    service: str | None = Field(default=None, description="Only edges touching this service")
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    undeclared: list[UndeclaredCall] = Field(
        description="Observed calls between mapped services with no declared dependency or API"
    )
    unused: list[DeclaredEdge] = Field(description="Declared dependencies never observed")
    source: Literal["spans", "prometheus"] = "spans"


class SeriesPoint(BaseModel):
    start: datetime
    requests: float
    failed: float
    client_latency: Latency
    server_latency: Latency


class EdgeDetail(BaseModel):
    """One edge over time, for an edge's page."""

    edge: GraphEdge
    step_seconds: int
    series: list[SeriesPoint]


class SpanView(BaseModel):
    span_id: str
    parent_span_id: str | None
    service: str
    component: str | None = None
    team: str | None = None
    name: str
    kind: SpanKind
    start: datetime
    end: datetime
    start_unix_nano: int
    duration_seconds: float
    status: SpanStatus
    status_message: str = ""
    attributes: dict[str, Any]
    resource: dict[str, Any]
    events: list[dict[str, Any]] = []


class TraceView(BaseModel):
    """Every stored span of one trace, ordered by start time (a waterfall's rows)."""

    trace_id: str
    start: datetime
    duration_seconds: float
    services: list[str]
    errors: int
    spans: list[SpanView]


class UnknownService(BaseModel):
    """A ``service.name`` seen in spans that no catalog Component claims."""

    service: str
    spans: int
    first_seen: datetime
    last_seen: datetime


class UnknownServices(BaseModel):
    items: list[UnknownService]


class CallDepth(BaseModel):
    """How deep the traces that enter at one service call, in a window."""

    entry: str = Field(description="The service a trace enters at (its root span's)")
    traces: int
    p95: float = Field(description="95th percentile of the longest chain of calls per trace")
    max: int
    mean: float


class PairingStats(BaseModel):
    """The state of the pairing store (cumulative since the server started)."""

    pending: int = Field(description="Unpaired halves waiting for their partner")
    max_pending: int
    paired: int
    expired: int = Field(description="Halves whose partner never came within the TTL")
    dropped: int = Field(description="Halves refused because the store was full")


class IngestSummary(BaseModel):
    """What one OTLP export did (the receiver turns it into the OTLP response)."""

    accepted: int
    rejected: int
    unknown_services: list[str] = []
    message: str = ""


class ObservedCall(BaseModel):
    """Calls of one consumer version to one operation of one provider version, in a window."""

    consumer: str = Field(description="The client's catalog Component name, else its service.name")
    consumer_version: str = Field(description="The client's service.version; empty if unknown")
    operation: str = Field(description="http.route, else rpc.service/rpc.method, else span name")
    provider_version: str = Field(description="The server's service.version; empty if unknown")
    calls: float = Field(description="Calls, weighted by sampling probability")
    failed: float
    last_seen: datetime = Field(description="Start of the latest call")


class VariantSpanStats(BaseModel):
    """Sufficient statistics of one variant's server spans (unweighted: one row per request)."""

    variant: str
    requests: int
    seconds_sum: float
    seconds_sum_squares: float
    errors: int
