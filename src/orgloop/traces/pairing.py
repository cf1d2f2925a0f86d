"""Pairs client and server spans into service-graph edges, as the Collector's servicegraph
connector does (``connector/servicegraphconnector``), a batch (an export's halves) at a time.

- A CLIENT or PRODUCER span is the client half, keyed by (trace id, its own span id); a SERVER or
  CONSUMER span is the server half, keyed by (trace id, its parent span id). When both halves of
  a key have arrived, in either order, the edge is complete and handed to ``on_edges``.
- A CLIENT span that names a database (``database_name_attributes``) is a complete edge on its
  own: server = the database name, ``connection_type`` = ``database``.
- A PRODUCER or CONSUMER half makes the edge ``messaging_system`` (whichever half says so: unlike
  the connector, where the last half to arrive decides, the result does not depend on order).
- Halves wait at most ``ttl_seconds``; at most ``max_items`` wait at once (a new half beyond that
  is dropped and counted). On expiry, with ``virtual_node_peer_attributes`` non-empty, a server
  half of a root span (empty parent id) gets the client ``user`` and a client half gets the first
  peer attribute it carried as server (else ``unknown``); both become ``virtual_node`` edges.
  Any other expired half is counted and dropped. A second half of the same side and key (a span
  sent twice) replaces the waiting one.
- ``failed`` is true when either span has status ERROR. Dimensions are read from the resource,
  then from the span, and kept per side as ``client_<name>`` and ``server_<name>``.

The waiting store is one dict from key (trace id + span id bytes) to the half as a tuple, filled
and emptied with ``map`` over the batch's keys (C loops, no Python statement per half); completed
edges are assembled column by column (``columns.EdgeColumns``).
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from orgloop.traces import semconv
from orgloop.traces.columns import Dims, Edge, EdgeColumns, HalfColumns
from orgloop.traces.models import PairingStats

KIND_SERVER = 2
KIND_CLIENT = 3
KIND_PRODUCER = 4
KIND_CONSUMER = 5
CLIENT_KINDS = frozenset((KIND_CLIENT, KIND_PRODUCER))
SERVER_KINDS = frozenset((KIND_SERVER, KIND_CONSUMER))
_MESSAGING = frozenset((KIND_PRODUCER, KIND_CONSUMER))

#: The connector's default latency buckets, in seconds.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0,
)  # fmt: skip

__all__ = [
    "CLIENT_KINDS",
    "DEFAULT_BUCKETS",
    "SERVER_KINDS",
    "Edge",
    "EdgeColumns",
    "HalfColumns",
    "Pairer",
    "PairingConfig",
]


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


# A waiting half: a tuple with these fields (``_row``).
_TRACE, _KIND, _SERVICE, _START, _SECONDS, _FAILED, _WEIGHT = 0, 1, 2, 3, 4, 5, 6
_VERSION, _OPERATION, _VARIANT, _ENV, _DIMS, _PEER, _ROOT, _EXPIRES = 7, 8, 9, 10, 11, 12, 13, 14
_CLIENT = 15  # a CLIENT or PRODUCER half (a root flag in ``_ROOT`` counts for server halves)
Row = tuple[Any, ...]


class Pairer:
    """The pairing store; not thread-safe (the service holds a lock around it)."""

    def __init__(self, config: PairingConfig, *, on_edges: Callable[[EdgeColumns], None]) -> None:
        self.config = config
        self._on_edges = on_edges
        self._waiting: dict[bytes, Row] = {}
        # (expiry time, keys inserted then): insertion order is expiry order.
        self._expiry: deque[tuple[float, list[bytes]]] = deque()
        self.paired = 0
        self.expired = 0
        self.dropped = 0
        self._ttl = config.ttl_seconds
        self._max_items = config.max_items
        self._dims = config.dimensions
        blank_dims: Dims = ("",) * len(config.dimensions)
        self._blank: Row = (
            b"", 0, "", 0, 0.0, False, 0.0, "", "", "", "", blank_dims, "", False, 0.0, False,
        )  # fmt: skip

    def add(self, halves: HalfColumns, now: float) -> None:
        """Pair an export's halves with those waiting; complete edges go to ``on_edges``."""
        if not len(halves):
            return
        kinds = halves.kind
        is_client = [k in CLIENT_KINDS for k in kinds]
        rows = list(
            zip(
                halves.trace_id, kinds, halves.service, halves.start_ns, halves.seconds,
                halves.failed, halves.weight, halves.version, halves.operation, halves.variant,
                halves.env, halves.dims, halves.peer,
                map(operator.not_, halves.parent_span_id), repeat(now + self._ttl), is_client,
            )
        )  # fmt: skip
        parts: list[EdgeColumns] = []
        databases = [i for i, name in enumerate(halves.db) if name and kinds[i] == KIND_CLIENT]
        if databases:
            db_rows = [rows[i] for i in databases]
            parts.append(
                self._combine(
                    db_rows,
                    [self._blank] * len(db_rows),
                    connection_type="database",
                    server=[halves.db[i] for i in databases],
                    server_seconds=[r[_SECONDS] for r in db_rows],
                )
            )
            skip = set(databases)
            keep = [i for i in range(len(rows)) if i not in skip]
            rows, is_client = [rows[i] for i in keep], [is_client[i] for i in keep]
            own = [halves.span_id[i] if is_client[j] else halves.parent_span_id[i]
                   for j, i in enumerate(keep)]  # fmt: skip
            traces = [halves.trace_id[i] for i in keep]
        else:
            own = [
                s if c else p
                for s, p, c in zip(halves.span_id, halves.parent_span_id, is_client, strict=True)
            ]
            traces = halves.trace_id
        keys = list(map(bytes.__add__, traces, own))
        partners: list[Row | None] = list(map(self._waiting.pop, keys, repeat(None)))
        fresh = [i for i, p in enumerate(partners) if p is None]
        found = [(i, p) for i, p in enumerate(partners) if p is not None]
        fresh_keys = [keys[i] for i in fresh]
        simple = len(set(fresh_keys)) == len(fresh) and not any(
            map(operator.eq, [p[_CLIENT] for _, p in found], [is_client[i] for i, _ in found])
        )
        clients: list[Row]
        servers: list[Row]
        if simple:
            clients = [rows[i] if is_client[i] else p for i, p in found]
            servers = [p if is_client[i] else rows[i] for i, p in found]
            self._wait(fresh_keys, [rows[i] for i in fresh])
        else:
            clients, servers = self._pair_one_by_one(keys, rows, partners, is_client)
        if clients:
            parts.append(self._combine(clients, servers))
        self._emit(parts)

    def _pair_one_by_one(
        self, keys: list[bytes], rows: list[Row], partners: list[Row | None], is_client: list[bool]
    ) -> tuple[list[Row], list[Row]]:
        """The general case (halves of one call in the same export, a half sent twice): in
        arrival order. The partners already popped are put back first."""
        waiting = self._waiting
        for key, partner in zip(keys, partners, strict=True):
            if partner is not None:
                waiting[key] = partner
        clients: list[Row] = []
        servers: list[Row] = []
        for key, row, client in zip(keys, rows, is_client, strict=True):
            partner = waiting.get(key)
            if partner is None:
                self._wait([key], [row])
            elif partner[_CLIENT] == client:  # the same side again: replace
                waiting[key] = (*row[:_EXPIRES], partner[_EXPIRES], client)
            else:
                del waiting[key]
                clients.append(row if client else partner)
                servers.append(partner if client else row)
        return clients, servers

    def _wait(self, keys: list[bytes], rows: list[Row]) -> None:
        room = self._max_items - len(self._waiting)
        if len(keys) > room:
            self.dropped += len(keys) - max(room, 0)
            keys, rows = keys[: max(room, 0)], rows[: max(room, 0)]
        if keys:
            self._waiting.update(zip(keys, rows, strict=True))
            expires = rows[0][_EXPIRES]
            if self._expiry and self._expiry[-1][0] == expires:
                self._expiry[-1][1].extend(keys)
            else:
                self._expiry.append((expires, list(keys)))

    def _combine(
        self,
        clients: list[Row],
        servers: list[Row],
        *,
        connection_type: str | None = None,
        client: list[str] | None = None,
        server: list[str] | None = None,
        server_seconds: list[float] | None = None,
        virtual_node: str = "",
    ) -> EdgeColumns:
        """Edges from their client and server halves, field by field (a blank row stands for
        a missing side)."""
        c = list(zip(*clients, strict=True))
        s = list(zip(*servers, strict=True))
        n = len(clients)
        if connection_type is None:
            types = [
                "messaging_system" if ck in _MESSAGING or sk in _MESSAGING else ""
                for ck, sk in zip(c[_KIND], s[_KIND], strict=True)
            ]
        else:
            types = [connection_type] * n
        return EdgeColumns(
            dimensions=self._dims,
            trace_id=[ct or st for ct, st in zip(c[_TRACE], s[_TRACE], strict=True)],
            client=client if client is not None else list(c[_SERVICE]),
            server=server if server is not None else list(s[_SERVICE]),
            connection_type=types,
            virtual_node=[virtual_node] * n,
            failed=[cf or sf for cf, sf in zip(c[_FAILED], s[_FAILED], strict=True)],
            weight=[cw or sw or 1.0 for cw, sw in zip(c[_WEIGHT], s[_WEIGHT], strict=True)],
            start_ns=[ct or st for ct, st in zip(c[_START], s[_START], strict=True)],
            client_seconds=list(c[_SECONDS]),
            server_seconds=server_seconds if server_seconds is not None else list(s[_SECONDS]),
            client_version=list(c[_VERSION]),
            server_version=list(s[_VERSION]),
            operation=[so or co for co, so in zip(c[_OPERATION], s[_OPERATION], strict=True)],
            variant=[sv or cv for cv, sv in zip(c[_VARIANT], s[_VARIANT], strict=True)],
            env=[se or ce for ce, se in zip(c[_ENV], s[_ENV], strict=True)],
            client_dims=list(c[_DIMS]),
            server_dims=list(s[_DIMS]),
        )

    def _emit(self, parts: list[EdgeColumns]) -> None:
        parts = [p for p in parts if len(p)]
        if not parts:
            return
        edges = parts[0] if len(parts) == 1 else EdgeColumns.concat(parts, self._dims)
        self.paired += len(edges)
        self._on_edges(edges)

    def expire(self, now: float) -> None:
        """Expire halves whose TTL has passed (oldest first)."""
        expired: list[Row] = []
        waiting, expiry = self._waiting, self._expiry
        while expiry and expiry[0][0] <= now:
            _, keys = expiry.popleft()
            for key in keys:
                row = waiting.get(key)
                if row is not None and row[_EXPIRES] <= now:
                    del waiting[key]
                    expired.append(row)
        if expired:
            self.expired += len(expired)
            self._on_expired(expired)

    def expire_all(self) -> None:
        """Expire every waiting half now (tests, and a server shutting down)."""
        self.expire(float("inf"))

    def _on_expired(self, rows: list[Row]) -> None:
        if not self.config.virtual_node_peer_attributes:
            return
        extra = self.config.virtual_node_extra_label
        users = [r for r in rows if not r[_CLIENT] and r[_ROOT]]
        clients = [r for r in rows if r[_CLIENT]]
        parts = []
        if users:
            parts.append(
                self._combine(
                    [self._blank] * len(users),
                    users,
                    connection_type="virtual_node",
                    client=["user"] * len(users),
                    virtual_node="client" if extra else "",
                )
            )
        if clients:
            parts.append(
                self._combine(
                    clients,
                    [self._blank] * len(clients),
                    connection_type="virtual_node",
                    server=[r[_PEER] or "unknown" for r in clients],
                    virtual_node="server" if extra else "",
                )
            )
        self._emit(parts)

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
