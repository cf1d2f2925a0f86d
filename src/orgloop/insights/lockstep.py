"""Lockstep deploys: services of different teams that are deployed together.

The co-deploy degree takes code-maat's logical-coupling form with deploy windows in place of
commits: degree(a, b) = 100 * shared windows / mean(windows of a, windows of b), where a window is
a fixed slice of time (an hour by default) in which the service was deployed at least once.
Computed as one sparse product B . B^T over the services x windows incidence matrix. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import networkx as nx
import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class Deploy:
    service: str
    at: datetime


@dataclass(frozen=True)
class Pair:
    services: tuple[str, str]
    teams: tuple[str, str]
    shared: int  # windows in which both were deployed
    deploys: tuple[int, int]  # windows in which each was deployed
    degree: float  # 100 * shared / mean(deploys)


@dataclass(frozen=True)
class CoDeploys:
    """Shared deploy windows of every pair of services (whoever owns them): i < j, n >= 1."""

    services: tuple[str, ...]
    windows: np.ndarray  # per service: windows in which it was deployed
    i: np.ndarray
    j: np.ndarray
    shared: np.ndarray


def co_deploy_matrix(deploys: Iterable[Deploy], *, window_seconds: int = 3600) -> CoDeploys:
    records = list(deploys)
    services = tuple(sorted({d.service for d in records}))
    index = {s: k for k, s in enumerate(services)}
    empty = np.zeros(0, dtype=np.int64)
    if not records:
        return CoDeploys(services, empty, empty, empty, empty)
    rows = np.fromiter((index[d.service] for d in records), dtype=np.int64, count=len(records))
    stamps = np.fromiter((d.at.timestamp() for d in records), dtype=np.float64, count=len(records))
    windows = np.floor_divide(stamps, window_seconds).astype(np.int64)
    windows -= windows.min()
    incidence = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int32), (rows, windows)),
        shape=(len(services), int(windows.max()) + 1),
    )
    incidence.data[:] = 1  # several deploys in one window count once (duplicates were summed)
    shared = sparse.triu(incidence @ incidence.T, k=1).tocoo()
    return CoDeploys(
        services=services,
        windows=np.asarray(incidence.sum(axis=1)).ravel(),
        i=shared.row,
        j=shared.col,
        shared=shared.data,
    )


def co_deploys(
    deploys: Iterable[Deploy] | CoDeploys,
    owner: Mapping[str, str],
    *,
    window_seconds: int = 3600,
    min_shared: int = 3,
    min_degree: float = 50.0,
    cross_team_only: bool = True,
) -> list[Pair]:
    """Pairs above both thresholds, highest degree first (code-maat's min-shared-revs and
    min-coupling); only pairs owned by different teams unless ``cross_team_only`` is off.
    Services nobody in ``owner`` owns are left out."""
    m = (
        deploys
        if isinstance(deploys, CoDeploys)
        else co_deploy_matrix(deploys, window_seconds=window_seconds)
    )
    keep = m.shared >= min_shared
    i, j, n = m.i[keep], m.j[keep], m.shared[keep]
    degree = 100.0 * n / ((m.windows[i] + m.windows[j]) / 2.0)
    team_ids: dict[str, int] = {}
    team_of = np.array(
        [team_ids.setdefault(owner[s], len(team_ids)) if s in owner else -1 for s in m.services],
        dtype=np.int64,
    )
    keep = (degree >= min_degree) & (team_of[i] >= 0) & (team_of[j] >= 0)
    if cross_team_only:
        keep &= team_of[i] != team_of[j]
    found = [
        Pair(
            services=(m.services[a], m.services[b]),
            teams=(owner[m.services[a]], owner[m.services[b]]),
            shared=int(k),
            deploys=(int(m.windows[a]), int(m.windows[b])),
            degree=round(float(d), 2),
        )
        for a, b, k, d in zip(i[keep], j[keep], n[keep], degree[keep], strict=True)
    ]
    found.sort(key=lambda p: (-p.degree, -p.shared, p.services))
    return found


def clusters(pairs: Iterable[Pair]) -> list[list[str]]:
    """Services that deploy in lockstep, transitively (connected components of the pairs)."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from(p.services for p in pairs)
    return sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
