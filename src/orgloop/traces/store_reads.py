"""The span store's reads: the SQL behind the graph, an edge's series, the feeds, a trace's
exports and the services seen, and the rows they return.

``SpanReads`` runs each query on a cursor of its own, so reads see every committed row and never
wait for the writer (``store_writer.py``); ``store.SpanStore`` says which connection. The shapes
``EdgeRow``/``Quantiles`` are also what ``prometheus.py`` fills from Prometheus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orgloop.traces import feeds
from orgloop.traces.models import CallDepth, ObservedCall, VariantSpanStats

DIMENSIONS = ("client_version", "server_version", "operation", "variant")


@dataclass(frozen=True)
class Quantiles:
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None


@dataclass(frozen=True)
class EdgeRow:
    """Figures of one edge, whole (``dimension`` None) or for one value of a dimension."""

    client: str
    server: str
    connection_type: str
    dimension: str | None
    value: str
    requests: float
    failed: float
    client_latency: Quantiles
    server_latency: Quantiles


@dataclass(frozen=True)
class SeriesRow:
    start: datetime
    requests: float
    failed: float
    client_latency: Quantiles
    server_latency: Quantiles


@dataclass(frozen=True)
class StoredExport:
    """An export holding spans of a trace, as received (its other traces' spans included)."""

    env: str
    body: bytes


class SpanReads:
    """The read queries; a subclass gives the connection (``_connection``)."""

    def _connection(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def edge_rows(
        self,
        *,
        since: datetime,
        until: datetime,
        service: str | None,
        env: str | None,
        pair: tuple[str, str] | None = None,
    ) -> list[EdgeRow]:
        where, params = _window(since, until, env)
        if service is not None:
            where += " AND (client = ? OR server = ?)"
            params += [service, service]
        if pair is not None:
            where += " AND client = ? AND server = ?"
            params += list(pair)
        edge = "client, server, connection_type"
        sets = ", ".join([f"({edge})", *(f"({edge}, {d})" for d in DIMENSIONS)])
        grouping = ", ".join(f"GROUPING({d})" for d in DIMENSIONS)
        sql = f"""
            SELECT client, server, connection_type, {", ".join(DIMENSIONS)}, {grouping},
                   {_FIGURES}
            FROM edges WHERE {where}
            GROUP BY GROUPING SETS ({sets})
            ORDER BY client, server, connection_type
        """
        rows = self._read(sql, params)
        return [_edge_row(r) for r in rows]

    def edge_series(
        self,
        *,
        client: str,
        server: str,
        since: datetime,
        until: datetime,
        env: str | None,
        step_seconds: int,
    ) -> list[SeriesRow]:
        where, params = _window(since, until, env)
        step = int(step_seconds * 1e9)
        sql = f"""
            SELECT (start_ns // {step}) * {step} AS bucket, {_FIGURES}
            FROM edges WHERE {where} AND client = ? AND server = ?
            GROUP BY bucket ORDER BY bucket
        """
        rows = self._read(sql, [*params, client, server])
        return [
            SeriesRow(
                start=datetime.fromtimestamp(r[0] / 1e9, tz=UTC),
                requests=float(r[1]),
                failed=float(r[2]),
                client_latency=_quantiles(r[3], r[4]),
                server_latency=_quantiles(r[5], r[6]),
            )
            for r in rows
        ]

    def consumer_rows(
        self,
        *,
        server: str,
        since: datetime,
        until: datetime,
        env: str | None,
        unlabelled: bool = False,
    ) -> list[ObservedCall]:
        """Calls to ``server`` split by client, client version, operation and server version
        (with ``unlabelled``, calls whose spans name no environment count for ``env`` too)."""
        where, params = _window(since, until, env, unlabelled=unlabelled)
        rows = self._read(feeds.CONSUMERS_SQL.format(where=where), [*params, server])
        return [
            ObservedCall(
                consumer=r[0],
                consumer_version=r[1],
                operation=r[2],
                provider_version=r[3],
                calls=float(r[4]),
                failed=float(r[5]),
                last_seen=_time(r[6]),
            )
            for r in rows
        ]

    def call_depth_rows(
        self, *, since: datetime, until: datetime, env: str | None
    ) -> list[CallDepth]:
        """Per entry point, how deep its traces call (``feeds.CALL_DEPTH_SQL``)."""
        where, params = _window(since, until, env)
        sql = feeds.CALL_DEPTH_SQL.format(where=where, max_depth=feeds.MAX_DEPTH)
        return [
            CallDepth(
                entry=r[0], traces=int(r[1]), p95=float(r[2]), max=int(r[3]), mean=float(r[4])
            )
            for r in self._read(sql, params)
        ]

    def variant_rows(
        self,
        *,
        server: str,
        route: str | None,
        experiment: str,
        since: datetime,
        until: datetime,
        env: str | None,
    ) -> list[VariantSpanStats]:
        """Per-variant duration sums and errors of ``server``'s spans in ``experiment``."""
        where, params = _window(since, until, env)
        pattern = feeds.variant_pattern(experiment)
        extra: list[Any] = [server]
        route_sql = ""
        if route is not None:
            route_sql = "AND operation = ?"
            extra.append(route)
        sql = feeds.VARIANT_SQL.format(where=where, route=route_sql)
        rows = self._read(sql, [pattern, *params, *extra, pattern])
        return [
            VariantSpanStats(
                variant=r[0],
                requests=int(r[1]),
                seconds_sum=float(r[2]),
                seconds_sum_squares=float(r[3]),
                errors=int(r[4]),
            )
            for r in rows
        ]

    def trace_exports(self, trace_id: bytes) -> list[StoredExport]:
        """The stored exports that hold spans of this trace, oldest first."""
        rows = self._read(
            "SELECT e.env, e.body, e.body_bytes FROM exports e WHERE e.id IN "
            "(SELECT export_id FROM trace_exports WHERE trace_id = ?) ORDER BY e.id",
            [trace_id],
        )
        return [StoredExport(env=r[0], body=_decompress(bytes(r[1]), r[2])) for r in rows]

    def services_seen(self) -> list[tuple[str, int, datetime, datetime]]:
        rows = self._read(
            "SELECT service, spans, first_ns, last_ns FROM services_seen ORDER BY service", []
        )
        return [(r[0], int(r[1]), _time(r[2]), _time(r[3])) for r in rows]

    def count_spans(self) -> int:
        rows = self._read("SELECT coalesce(sum(spans), 0) FROM exports", [])
        return int(rows[0][0])

    def count_distinct_spans(self) -> int:
        """Distinct (trace id, span id) pairs stored: decodes every export (for benchmarks and
        checks that nothing acknowledged was lost, not for requests)."""
        seen: set[tuple[bytes, bytes]] = set()
        for body, size in self._read("SELECT body, body_bytes FROM exports", []):
            request = ExportTraceServiceRequest.FromString(_decompress(bytes(body), size))
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    seen.update((s.trace_id, s.span_id) for s in scope_spans.spans)
        return len(seen)

    def count_edges(self) -> int:
        rows = self._read("SELECT count(*) FROM edges", [])
        return int(rows[0][0])

    def _read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self._connection().cursor()
        try:
            return cursor.execute(sql, list(params)).fetchall()
        finally:
            cursor.close()


_FIGURES = """
    sum(weight), sum(CASE WHEN failed THEN weight ELSE 0 END),
    quantile_cont(client_seconds, [0.5, 0.95, 0.99]),
    sum(client_seconds * weight) / sum(weight),
    quantile_cont(server_seconds, [0.5, 0.95, 0.99]),
    sum(server_seconds * weight) / sum(weight)
"""


def _window(
    since: datetime, until: datetime, env: str | None, *, unlabelled: bool = False
) -> tuple[str, list[Any]]:
    where = "start_ns >= ? AND start_ns <= ?"
    params: list[Any] = [int(since.timestamp() * 1e9), int(until.timestamp() * 1e9)]
    if env is not None:
        where += " AND env IN (?, '')" if unlabelled else " AND env = ?"
        params.append(env)
    return where, params


def _edge_row(r: tuple[Any, ...]) -> EdgeRow:
    values = r[3:7]
    grouped = r[7:11]
    dimension = next((d for d, g in zip(DIMENSIONS, grouped, strict=True) if g == 0), None)
    value = values[DIMENSIONS.index(dimension)] if dimension else ""
    return EdgeRow(
        client=r[0],
        server=r[1],
        connection_type=r[2],
        dimension=dimension,
        value=value or "",
        requests=float(r[11]),
        failed=float(r[12]),
        client_latency=_quantiles(r[13], r[14]),
        server_latency=_quantiles(r[15], r[16]),
    )


def _quantiles(q: list[float] | None, mean: float | None) -> Quantiles:
    if not q:
        return Quantiles(None, None, None, mean)
    return Quantiles(q[0], q[1], q[2], mean)


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _decompress(body: bytes, size: int) -> bytes:
    """Undoes ``store_writer``'s zstd."""
    return bytes(pa.decompress(body, decompressed_size=size, codec="zstd", asbytes=True))
