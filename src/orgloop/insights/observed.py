"""Observed calls: the traces slice's service graph turned into insights' calls and trace facts.

Edges between mapped services become calls weighted by their rate (requests per second);
messaging edges are asynchronous; database edges are storage use. Calls per request on an edge
a -> b are its requests divided by the requests arriving at a (from every caller, and from
users for root spans). Pure: reads only the graph model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orgloop.insights.monolith import EntryDepth, TraceFacts
from orgloop.insights.org import Call, short
from orgloop.traces.models import CallDepth, ServiceGraph


@dataclass(frozen=True)
class Observed:
    calls: tuple[Call, ...]
    facts: TraceFacts
    storage: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seen: frozenset[str] = frozenset()  # components that appear in the graph


def from_graph(graph: ServiceGraph, depths: Iterable[CallDepth] = ()) -> Observed:
    """The graph's calls and storage use between catalog components; ``depths`` (the traces
    slice's call depths per entry point, by runtime service name) become the entry components'
    measured depths (an entry the catalog does not know is left out)."""
    component = {n.id: short(n.component) for n in graph.nodes if n.component}
    arriving: dict[str, float] = {}
    for e in graph.edges:
        arriving[e.server] = arriving.get(e.server, 0.0) + e.requests
    calls: list[Call] = []
    per_request: dict[tuple[str, str], float] = {}
    storage: dict[str, set[str]] = {}
    for e in graph.edges:
        source = component.get(e.client)
        if source is None:
            continue
        if e.connection_type == "database":
            storage.setdefault(e.server, set()).add(source)
            continue
        target = component.get(e.server)
        if target is None or target == source:
            continue
        calls.append(
            Call(source, target, rate=e.rate, synchronous=e.connection_type != "messaging_system")
        )
        incoming = arriving.get(e.client, 0.0)
        if incoming > 0:
            per_request[(source, target)] = round(e.requests / incoming, 3)
    return Observed(
        calls=tuple(calls),
        facts=TraceFacts(per_request=per_request, entry_depths=_entry_depths(component, depths)),
        storage={d: tuple(sorted(s)) for d, s in sorted(storage.items())},
        seen=frozenset(component.values()),
    )


def _entry_depths(component: dict[str, str], depths: Iterable[CallDepth]) -> dict[str, EntryDepth]:
    """Per entry component, the deepest of its runtime services' measurements (two deployments
    of one component under different names are one entry point)."""
    found: dict[str, EntryDepth] = {}
    for d in depths:
        entry = component.get(d.entry)
        if entry is None:
            continue
        mine = EntryDepth(p95=d.p95, max=d.max, traces=d.traces)
        if entry not in found or mine.p95 > found[entry].p95:
            found[entry] = mine
    return found
