"""Pairs client and server spans into service-graph edges, as the Collector's servicegraph
connector does (``connector/servicegraphconnector``), in plain dictionaries.

- A CLIENT or PRODUCER span is the client half, keyed by (trace id, its own span id); a SERVER or
  CONSUMER span is the server half, keyed by (trace id, its parent span id). When both halves of
  a key have arrived, in either order, the edge is complete and handed to ``on_edge``.
- A CLIENT span that names a database (``database_name_attributes``) is a complete edge on its
  own: server = the database name, ``connection_type`` = ``database``.
- A PRODUCER or CONSUMER half makes the edge ``messaging_system`` (whichever half says so: unlike
  the connector, where the last half to arrive decides, the result does not depend on order).
- Halves wait at most ``ttl_seconds``; at most ``max_items`` wait at once (a new half beyond that
  is dropped and counted). On expiry, with ``virtual_node_peer_attributes`` non-empty, a server
  half of a root span (empty parent id) gets the client ``user`` and a client half gets the first
  peer attribute it carried as server (else ``unknown``); both become ``virtual_node`` edges.
  Any other expired half is counted and dropped.
- ``failed`` is true when either span has status ERROR. Dimensions are read from the resource,
  then from the span, and kept per side as ``client_<name>`` and ``server_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orgloop.traces import semconv
from orgloop.traces.models import PairingStats

KIND_SERVER = 2
KIND_CLIENT = 3
KIND_PRODUCER = 4
KIND_CONSUMER = 5
CLIENT_KINDS = frozenset((KIND_CLIENT, KIND_PRODUCER))
SERVER_KINDS = frozenset((KIND_SERVER, KIND_CONSUMER))

#: The connector's default latency buckets, in seconds.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0,
)  # fmt: skip


@dataclass(frozen=True)
class PairingConfig:
    """The connector's settings that change the result, with orgloop's defaults."""

    ttl_seconds: float = 10.0
    max_items: int = 100_000
    dimensions: tuple[str, ...] = (semconv.SERVICE_VERSION,)
    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    virtual_node_peer_attributes: tuple[str, ...] = semconv.PEER_ATTRIBUTES
    virtual_node_extra_label: bool = False
    database_name_attributes: tuple[str, ...] = semconv.DATABASE_NAME_ATTRIBUTES
    max_series: int = 20_000

    def wanted_attributes(self) -> frozenset[str]:
        """Every attribute key pairing reads (intake keeps only these)."""
        return frozenset(
            (*self.dimensions, *self.virtual_node_peer_attributes, *self.database_name_attributes)
        )


@dataclass(slots=True)
class Half:
    """What pairing needs of one CLIENT/SERVER/PRODUCER/CONSUMER span."""

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    kind: int
    service: str
    start_ns: int
    seconds: float
    failed: bool
    attributes: dict[str, str]
    resource: dict[str, str]
    weight: float = 1.0
    version: str = ""
    operation: str = ""
    variant: str = ""
    env: str = ""


@dataclass(slots=True)
class Edge:
    """A call from ``client`` to ``server``; complete once both names are known."""

    trace_id: bytes
    expires: float = 0.0
    client: str = ""
    server: str = ""
    connection_type: str = ""
    failed: bool = False
    client_seconds: float = 0.0
    server_seconds: float = 0.0
    dimensions: dict[str, str] = field(default_factory=dict)
    peers: dict[str, str] = field(default_factory=dict)
    virtual_node: str = ""
    start_ns: int = 0
    weight: float = 0.0
    client_version: str = ""
    server_version: str = ""
    client_operation: str = ""
    server_operation: str = ""
    client_variant: str = ""
    server_variant: str = ""
    env: str = ""
    root: bool = False

    @property
    def operation(self) -> str:
        return self.server_operation or self.client_operation

    @property
    def variant(self) -> str:
        return self.server_variant or self.client_variant


CompletedEdge = Edge


class Pairer:
    """The pairing store; not thread-safe (the service holds a lock around it)."""

    def __init__(self, config: PairingConfig, *, on_edge: Callable[[Edge], None]) -> None:
        self.config = config
        self._on_edge = on_edge
        self._waiting: dict[tuple[bytes, bytes], Edge] = {}
        self.paired = 0
        self.expired = 0
        self.dropped = 0
        # Read once: these run per span.
        self._ttl = config.ttl_seconds
        self._max_items = config.max_items
        self._databases = config.database_name_attributes
        self._peers = config.virtual_node_peer_attributes
        self._client_dims = tuple((name, "client_" + name) for name in config.dimensions)
        self._server_dims = tuple((name, "server_" + name) for name in config.dimensions)

    def add(self, half: Half, now: float) -> None:
        kind = half.kind
        if kind in CLIENT_KINDS:
            db_name = _first(self._databases, half.attributes) if half.attributes else None
            if db_name is not None and kind == KIND_CLIENT:
                edge = Edge(trace_id=half.trace_id, connection_type="database", server=db_name)
                self._fill_client(edge, half)
                edge.server_seconds = half.seconds
                self._complete(edge)
                return
            key = (half.trace_id, half.span_id)
        elif kind in SERVER_KINDS:
            key = (half.trace_id, half.parent_span_id)
        else:
            return
        waiting = self._waiting.get(key)
        if waiting is None:
            if len(self._waiting) >= self._max_items:
                self.dropped += 1
                return
            waiting = Edge(trace_id=half.trace_id, expires=now + self._ttl)
            self._waiting[key] = waiting
        edge = waiting
        if kind in CLIENT_KINDS:
            self._fill_client(edge, half)
        else:
            self._fill_server(edge, half)
        if kind in (KIND_PRODUCER, KIND_CONSUMER):
            edge.connection_type = "messaging_system"
        if edge.client and edge.server:
            del self._waiting[key]
            self._complete(edge)

    def _fill_client(self, edge: Edge, half: Half) -> None:
        edge.client = half.service
        edge.client_seconds = half.seconds
        edge.failed = edge.failed or half.failed
        edge.start_ns = half.start_ns
        edge.weight = half.weight
        edge.client_version = half.version
        edge.client_operation = half.operation
        edge.client_variant = half.variant
        edge.env = edge.env or half.env
        attributes, resource, dimensions = half.attributes, half.resource, edge.dimensions
        for name, label in self._client_dims:
            value = resource.get(name) or attributes.get(name)
            if value:
                dimensions[label] = value
        if attributes:
            for name in self._peers:
                value = attributes.get(name)
                if value:
                    edge.peers[name] = value

    def _fill_server(self, edge: Edge, half: Half) -> None:
        edge.server = half.service
        edge.server_seconds = half.seconds
        edge.failed = edge.failed or half.failed
        if not edge.start_ns:
            edge.start_ns = half.start_ns
        if not edge.weight:
            edge.weight = half.weight
        edge.server_version = half.version
        edge.server_operation = half.operation
        edge.server_variant = half.variant
        edge.env = half.env or edge.env
        edge.root = not half.parent_span_id
        attributes, resource, dimensions = half.attributes, half.resource, edge.dimensions
        for name, label in self._server_dims:
            value = resource.get(name) or attributes.get(name)
            if value:
                dimensions[label] = value

    def _complete(self, edge: Edge) -> None:
        if not edge.weight:
            edge.weight = 1.0
        self.paired += 1
        self._on_edge(edge)

    def expire(self, now: float) -> None:
        """Expire halves whose TTL has passed (oldest first: insertion order is expiry order)."""
        waiting = self._waiting
        while waiting:
            key = next(iter(waiting))
            edge = waiting[key]
            if edge.expires > now:
                return
            del waiting[key]
            self.expired += 1
            self._on_expired(edge)

    def expire_all(self) -> None:
        """Expire every waiting half now (tests, and a server shutting down)."""
        self.expire(float("inf"))

    def _on_expired(self, edge: Edge) -> None:
        peers = self._peers
        if not peers:
            return
        if not edge.client and edge.root:
            edge.client = "user"
            edge.connection_type = "virtual_node"
            if self.config.virtual_node_extra_label:
                edge.virtual_node = "client"
            self._complete(edge)
        elif not edge.server and edge.client:
            edge.server = _first(peers, edge.peers) or "unknown"
            edge.connection_type = "virtual_node"
            if self.config.virtual_node_extra_label:
                edge.virtual_node = "server"
            self._complete(edge)

    def pending(self) -> int:
        return len(self._waiting)

    def stats(self) -> PairingStats:
        return PairingStats(
            pending=len(self._waiting),
            max_pending=self.config.max_items,
            paired=self.paired,
            expired=self.expired,
            dropped=self.dropped,
        )


def _first(names: tuple[str, ...], attributes: dict[str, str]) -> str | None:
    for name in names:
        value = attributes.get(name)
        if value:
            return value
    return None
