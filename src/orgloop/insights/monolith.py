"""Distributed-monolith signals, each with its evidence, its threshold and the teams to talk to.

Signals: lockstep deploys (``lockstep.py``), cycles among services over synchronous calls
(strongly connected components), deep synchronous call chains (p95 depth per entry point from
traces; the longest declared chain without them), unversioned APIs, shared persistence and chatty
edges (calls per request the caller receives, from traces). Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np

from orgloop.insights.lockstep import Deploy, co_deploys
from orgloop.insights.models import Thresholds
from orgloop.insights.org import Org, is_versioned_path

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class EntryDepth:
    """How deep the traces entering at one service call, as the traces slice measured it."""

    p95: float
    max: int
    traces: int


@dataclass(frozen=True)
class TraceFacts:
    """What traces add: chain depths per entry point (measured: ``entry_depths``; or each
    trace's depth: ``depths``, whose p95 is taken here), and calls per request received per
    edge."""

    depths: Mapping[str, Sequence[int]] = field(default_factory=dict)
    per_request: Mapping[tuple[str, str], float] = field(default_factory=dict)
    entry_depths: Mapping[str, EntryDepth] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    kind: str
    severity: Severity
    summary: str
    services: tuple[str, ...]
    teams: tuple[str, ...]
    evidence: dict[str, Any]
    threshold: dict[str, Any]


def signals(
    org: Org,
    deploys: Iterable[Deploy] = (),
    *,
    thresholds: Thresholds | None = None,
    traces: TraceFacts | None = None,
) -> list[Signal]:
    """Every signal, by severity (high first), then by how many teams it involves."""
    t = thresholds or Thresholds()
    found = [
        *lockstep(org, deploys, t),
        *cycles(org),
        *deep_chains(org, t, traces),
        *unversioned(org),
        *shared_persistence(org, t),
        *chatty(org, t, traces),
    ]
    found.sort(key=lambda s: (SEVERITY_ORDER[s.severity], -len(s.teams), s.kind, s.services))
    return found


def _teams(org: Org, services: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({org.owner[s] for s in services if s in org.owner}))


def lockstep(org: Org, deploys: Iterable[Deploy], t: Thresholds) -> list[Signal]:
    pairs = co_deploys(
        deploys,
        org.owner,
        window_seconds=t.deploy_window_minutes * 60,
        min_shared=t.min_shared_deploys,
        min_degree=t.min_co_deploy_degree,
    )
    return [
        Signal(
            kind="lockstep-deploys",
            severity="high" if p.degree >= t.high_co_deploy_degree else "medium",
            summary=f"{p.services[0]} and {p.services[1]} were deployed together in {p.shared} "
            f"windows (co-deploy degree {p.degree:g}%)",
            services=p.services,
            teams=tuple(sorted(set(p.teams))),
            evidence={
                "shared_windows": p.shared,
                "deploy_windows": list(p.deploys),
                "degree": p.degree,
            },
            threshold={
                "min_co_deploy_degree": t.min_co_deploy_degree,
                "min_shared_deploys": t.min_shared_deploys,
                "deploy_window_minutes": t.deploy_window_minutes,
            },
        )
        for p in pairs
    ]


def sync_graph(org: Org) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(org.owner)
    for c in org.calls:
        if c.synchronous and c.source in org.owner and c.target in org.owner:
            graph.add_edge(c.source, c.target)
    return graph


def cycles(org: Org) -> list[Signal]:
    graph = sync_graph(org)
    found = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) < 2:
            continue
        teams = _teams(org, members)
        edges = sorted(graph.subgraph(members).edges())
        found.append(
            Signal(
                kind="cycle",
                severity="high" if len(teams) > 1 else "medium",
                summary=f"{len(members)} services call each other in a cycle of synchronous calls",
                services=tuple(members),
                teams=teams,
                evidence={"calls": [list(e) for e in edges]},
                threshold={"min_services": 2},
            )
        )
    return found


def deep_chains(org: Org, t: Thresholds, traces: TraceFacts | None) -> list[Signal]:
    limit = t.max_chain_depth
    seen: dict[str, dict[str, Any]] = {}
    if traces is not None and (traces.depths or traces.entry_depths):
        measured = {e: float(np.percentile(d, 95)) for e, d in traces.depths.items() if len(d)}
        for entry, d in traces.entry_depths.items():
            measured[entry] = d.p95
            seen[entry] = {"traces": d.traces, "max_depth": d.max}
        source = "traces (p95 depth per entry point)"
        # The chain shown is the longest synchronous one from the entry in the calls (observed
        # where there are traces): the services, and so the teams, a deep request crosses.
        _, paths = _declared_depths(org)
    else:
        measured, paths = _declared_depths(org)
        source = "call graph (longest synchronous chain from the entry point)"
    found = []
    for entry, depth in sorted(measured.items()):
        if depth <= limit:
            continue
        chain = paths.get(entry, [entry])
        found.append(
            Signal(
                kind="deep-chain",
                severity="high" if depth > 2 * limit else "medium",
                summary=f"requests entering at {entry} go {depth:g} synchronous hops deep",
                services=tuple(chain),
                teams=_teams(org, chain),
                evidence={
                    "entry": entry,
                    "depth": depth,
                    "source": source,
                    "chain": chain,
                    **seen.get(entry, {}),
                },
                threshold={"max_chain_depth": limit},
            )
        )
    return found


def _declared_depths(org: Org) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Longest synchronous chain from each entry point (a service nothing calls), in hops;
    cycles are collapsed first (they are a signal of their own)."""
    graph = sync_graph(org)
    dag = nx.condensation(graph)
    members = nx.get_node_attributes(dag, "members")
    longest: dict[int, list[int]] = {}
    for node in reversed(list(nx.topological_sort(dag))):
        best = max((longest[n] for n in dag.successors(node)), key=len, default=[])
        longest[node] = [node, *best]
    depths: dict[str, float] = {}
    paths: dict[str, list[str]] = {}
    for node in dag.nodes:
        if dag.in_degree(node) == 0 and dag.out_degree(node) > 0:
            chain = [min(members[n]) for n in longest[node]]
            depths[chain[0]] = float(len(chain) - 1)
            paths[chain[0]] = chain
    return depths, paths


def unversioned(org: Org) -> list[Signal]:
    found = []
    for api in org.apis:
        if api.provider is None or not api.consumers:
            continue
        bare = [p for p in api.paths if not is_versioned_path(p)]
        if api.versions is not None and not api.versions:
            reason = "no published version"
        elif bare:
            reason = f"{len(bare)} route(s) without a version"
        else:
            continue
        teams = _teams(org, [api.provider, *api.consumers])
        found.append(
            Signal(
                kind="unversioned-api",
                severity="medium" if len(teams) > 1 else "low",
                summary=f"API {api.name} of {api.provider} has {reason} and "
                f"{len(api.consumers)} consumer(s)",
                services=(api.provider, *api.consumers),
                teams=teams,
                evidence={
                    "api": api.name,
                    "published_versions": None if api.versions is None else list(api.versions),
                    "unversioned_routes": bare[:20],
                    "consumers": list(api.consumers),
                },
                threshold={"versioned": "a published version, and /vN in each route or server URL"},
            )
        )
    return found


def shared_persistence(org: Org, t: Thresholds) -> list[Signal]:
    found = []
    for database, users in org.storage.items():
        teams = _teams(org, users)
        if len(teams) < t.min_teams_sharing_database:
            continue
        found.append(
            Signal(
                kind="shared-persistence",
                severity="high" if len(teams) >= 3 else "medium",
                summary=f"database {database} is used by {len(users)} services of "
                f"{len(teams)} teams",
                services=tuple(users),
                teams=teams,
                evidence={"database": database, "services": list(users)},
                threshold={"min_teams_sharing_database": t.min_teams_sharing_database},
            )
        )
    return found


def chatty(org: Org, t: Thresholds, traces: TraceFacts | None) -> list[Signal]:
    if traces is None:
        return []
    found = []
    for (source, target), per_request in sorted(traces.per_request.items()):
        if per_request <= t.max_calls_per_request:
            continue
        found.append(
            Signal(
                kind="chatty-edge",
                severity="high" if per_request > 5 * t.max_calls_per_request else "medium",
                summary=f"{source} calls {target} {per_request:g} times per request it receives",
                services=(source, target),
                teams=_teams(org, [source, target]),
                evidence={"calls_per_request": per_request},
                threshold={"max_calls_per_request": t.max_calls_per_request},
            )
        )
    return found
