"""What the demo shows after the traffic: the observed service graph and the insights' findings."""

from __future__ import annotations

from collections.abc import Iterator

from orgloop.kernel.client import ApiClient


def graph_lines(api: ApiClient) -> Iterator[str]:
    """The observed calls between the shop's services, busiest first."""
    graph = api.get("/api/v1/traces/graph", since="1h")
    edges = [e for e in graph["edges"] if e["client"] != "user"]
    yield f"service graph from traces: {len(edges)} calls between services"
    for edge in sorted(edges, key=lambda e: -e["requests"]):
        p50 = edge["server_latency"].get("p50")
        latency = f", server p50 {p50 * 1000:.1f} ms" if p50 is not None else ""
        undeclared = "" if edge["declared"] else "  (not declared in the catalog)"
        yield (
            f"  {edge['client']:>15} -> {edge['server']:<15} {edge['requests']:>7.0f} calls"
            f"{latency}{undeclared}"
        )


def insight_lines(api: ApiClient) -> Iterator[str]:
    """Conway's uncovered needs and the distributed-monolith signals."""
    conway = api.get("/api/v1/insights/conway")
    congruence = conway["congruence"]
    shown = "-" if congruence is None else f"{congruence:.0%}"
    yield f"Conway alignment ({conway['source']}): congruence {shown}"
    for need in conway["uncovered"]:
        calls = ", ".join(f"{c['source']} -> {c['target']}" for c in need["calls"])
        yield f"  - teams {' and '.join(need['teams'])} work together undeclared: {calls}"
    monolith = api.get("/api/v1/insights/monolith")
    yield f"monolith signals ({monolith['deploys']} deploys considered):"
    for signal in monolith["signals"]:
        yield f"  - [{signal['severity']}] {signal['kind']}: {signal['summary']}"
