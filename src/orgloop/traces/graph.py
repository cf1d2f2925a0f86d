"""Builds the service-graph models from stored edge figures and the catalog index (pure).

Nodes carry their catalog Component and owning team where the name maps; each edge says
whether the catalog declares it; the graph lists observed-but-undeclared calls and
declared-but-unobserved dependencies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from orgloop.traces.catalogmap import CatalogIndex
from orgloop.traces.models import (
    ConnectionType,
    DeclaredEdge,
    EdgeDetail,
    EdgeFigures,
    EdgeSplit,
    GraphEdge,
    GraphNode,
    Latency,
    NodeKind,
    SeriesPoint,
    ServiceGraph,
    UndeclaredCall,
)
from orgloop.traces.store_reads import EdgeRow, Quantiles, SeriesRow

_SPLITS = {
    "client_version": "by_client_version",
    "server_version": "by_server_version",
    "operation": "by_operation",
    "variant": "by_variant",
}


def default_step(window: timedelta) -> int:
    """About 60 points over the window, in whole minutes where the window allows."""
    seconds = max(1, int(window.total_seconds() / 60))
    return seconds if seconds < 60 else (seconds // 60) * 60


def latency(q: Quantiles) -> Latency:
    return Latency(p50=q.p50, p95=q.p95, p99=q.p99, mean=q.mean)


def figures(row: EdgeRow | SeriesRow, seconds: float) -> dict[str, object]:
    return {
        "requests": row.requests,
        "failed": row.failed,
        "rate": row.requests / seconds if seconds > 0 else 0.0,
        "error_rate": row.failed / row.requests if row.requests else 0.0,
        "client_latency": latency(row.client_latency),
        "server_latency": latency(row.server_latency),
    }


def edges_of(rows: list[EdgeRow], index: CatalogIndex, seconds: float) -> list[GraphEdge]:
    edges: dict[tuple[str, str, str], GraphEdge] = {}
    for row in rows:
        if row.dimension is None:
            edges[(row.client, row.server, row.connection_type)] = GraphEdge(
                client=row.client,
                server=row.server,
                connection_type=cast(ConnectionType, row.connection_type),
                declared=index.declares(row.client, row.server),
                **figures(row, seconds),
            )
    for row in rows:
        if row.dimension is not None:
            edge = edges[(row.client, row.server, row.connection_type)]
            split = EdgeSplit(value=row.value, **figures(row, seconds))
            getattr(edge, _SPLITS[row.dimension]).append(split)
    for edge in edges.values():
        for name in _SPLITS.values():
            getattr(edge, name).sort(key=lambda s: -s.requests)
    return sorted(edges.values(), key=lambda e: (e.client, e.server, e.connection_type))


def _node(name: str, kind: NodeKind, index: CatalogIndex) -> GraphNode:
    entity = index.component_of(name) if kind == "service" else index.entity_of(name)
    if kind == "service" and entity is None:
        kind = "unknown_service"
    return GraphNode(
        id=name,
        kind=kind,
        component=entity.ref if entity else None,
        team=entity.owner if entity else None,
    )


def nodes_of(edges: list[GraphEdge], index: CatalogIndex) -> list[GraphNode]:
    kinds: dict[str, NodeKind] = {}
    for edge in edges:
        client_kind: NodeKind = "service"
        server_kind: NodeKind = "service"
        if edge.connection_type == "virtual_node":
            if edge.client == "user":
                client_kind = "user"
            else:
                server_kind = "virtual"
        elif edge.connection_type == "database":
            server_kind = "database"
        # A name seen as an instrumented service anywhere is a service.
        for name, kind in ((edge.client, client_kind), (edge.server, server_kind)):
            if kinds.get(name) != "service":
                kinds[name] = kind
    return [_node(name, kinds[name], index) for name in sorted(kinds)]


def assemble(
    rows: list[EdgeRow],
    *,
    index: CatalogIndex,
    since: datetime,
    until: datetime,
    service: str | None,
    env: str | None,
) -> ServiceGraph:
    seconds = (until - since).total_seconds()
    edges = edges_of(rows, index, seconds)
    undeclared = [
        UndeclaredCall(client=e.client, server=e.server, requests=e.requests)
        for e in edges
        if not e.declared
        and e.client != "user"
        and index.entity_of(e.client) is not None
        and index.entity_of(e.server) is not None
    ]
    observed = set()
    for e in edges:
        a, b = index.entity_of(e.client), index.entity_of(e.server)
        if a is not None and b is not None:
            observed.add((a.ref, b.ref))
    focus = index.entity_of(service) if service else None
    unused = [
        DeclaredEdge(client=client, server=server, via=via)
        for (client, server), via in sorted(index.declared.items())
        if (client, server) not in observed
        and (service is None or (focus is not None and focus.ref in (client, server)))
    ]
    return ServiceGraph(
        since=since,
        until=until,
        env=env,
        service=service,
        nodes=nodes_of(edges, index),
        edges=edges,
        undeclared=undeclared,
        unused=unused,
    )


def edge_detail(
    rows: list[EdgeRow],
    series: list[SeriesRow],
    *,
    index: CatalogIndex,
    since: datetime,
    until: datetime,
    step: int,
    client: str,
    server: str,
) -> EdgeDetail:
    seconds = (until - since).total_seconds()
    edges = edges_of(rows, index, seconds)
    if edges:
        edge = edges[0]
    else:
        empty = Latency()
        edge = GraphEdge(
            client=client,
            server=server,
            connection_type="",
            declared=index.declares(client, server),
            requests=0,
            failed=0,
            rate=0,
            error_rate=0,
            client_latency=empty,
            server_latency=empty,
        )
    points = [
        SeriesPoint(
            start=row.start,
            requests=row.requests,
            failed=row.failed,
            client_latency=latency(row.client_latency),
            server_latency=latency(row.server_latency),
        )
        for row in series
    ]
    return EdgeDetail(edge=edge, step_seconds=step, series=points)


__all__ = ["EdgeFigures", "assemble", "default_step", "edge_detail"]
