"""Conway alignment (socio-technical congruence, Cataldo et al. 2006) as sparse matrix work.

T_A is teams x services ownership, T_D services x services call rates, and the coordination
needs are C_R = T_A . T_D . T_A^T. Declared team interactions are C_A. Congruence is the share of
team pairs with a need (C_R > 0 either way, off the diagonal) that also have a declared
interaction. Pure: no IO.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from orgloop.insights.org import Call, Org


@dataclass(frozen=True)
class Matrices:
    teams: tuple[str, ...]
    services: tuple[str, ...]
    ta: sparse.csr_matrix  # teams x services, 1 where the team owns the service
    td: sparse.csr_matrix  # services x services, call rate source -> target
    cr: sparse.csr_matrix  # teams x teams, call rate from row team's services to column team's


def matrices(org: Org) -> Matrices:
    teams = tuple(sorted(set(org.teams) | set(org.owner.values())))
    services = org.services
    t_index = {t: i for i, t in enumerate(teams)}
    s_index = {s: i for i, s in enumerate(services)}
    ta = sparse.csr_matrix(
        (
            np.ones(len(services)),
            ([t_index[org.owner[s]] for s in services], list(range(len(services)))),
        ),
        shape=(len(teams), len(services)),
    )
    known = [c for c in org.calls if c.source in s_index and c.target in s_index]
    td = sparse.csr_matrix(
        (
            np.array([c.rate for c in known], dtype=float),
            ([s_index[c.source] for c in known], [s_index[c.target] for c in known]),
        ),
        shape=(len(services), len(services)),
    )  # duplicate (source, target) entries are summed, as csr_matrix does
    cr = (ta @ td @ ta.T).tocsr()
    return Matrices(teams=teams, services=services, ta=ta, td=td, cr=cr)


@dataclass(frozen=True)
class Need:
    """Two teams whose services call each other, and whether an interaction is declared."""

    teams: tuple[str, str]
    rate: float
    declared: str | None
    calls: tuple[Call, ...]


@dataclass(frozen=True)
class TeamLoad:
    team: str
    fan_in: int  # other teams whose services call this team's
    fan_out: int  # other teams this team's services call
    calls_in: float
    calls_out: float
    services: int
    apis: int
    dependencies: int  # distinct services of other teams this team's services call


@dataclass(frozen=True)
class Conway:
    congruence: float | None  # None when there is no cross-team need at all
    needs: tuple[Need, ...]
    declared_unused: tuple[tuple[str, str, str], ...]  # (team, team, mode) with no need
    cross_team_share: float | None  # share of call volume that crosses a team boundary
    teams: tuple[TeamLoad, ...]
    matrix_teams: tuple[str, ...]
    cr: tuple[tuple[float, ...], ...]  # dense C_R, only for small organisations (heat map)

    @property
    def uncovered(self) -> tuple[Need, ...]:
        return tuple(n for n in self.needs if n.declared is None)


def conway(org: Org, *, dense_up_to: int = 60) -> Conway:
    m = matrices(org)
    cr = m.cr.tocoo()
    total = float(cr.data.sum())
    off = cr.row != cr.col
    cross = float(cr.data[off].sum())
    pair_rate: dict[tuple[int, int], float] = {}
    for i, j, v in zip(cr.row[off], cr.col[off], cr.data[off], strict=True):
        if v > 0:
            key = (int(min(i, j)), int(max(i, j)))
            pair_rate[key] = pair_rate.get(key, 0.0) + float(v)
    behind = _calls_by_pair(org, m.teams)
    needs = tuple(
        Need(
            teams=(m.teams[i], m.teams[j]),
            rate=rate,
            declared=org.interactions.get(frozenset((m.teams[i], m.teams[j]))),
            calls=tuple(behind.get((m.teams[i], m.teams[j]), ())),
        )
        for (i, j), rate in sorted(pair_rate.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    covered = sum(1 for n in needs if n.declared is not None)
    needed = {frozenset(n.teams) for n in needs}
    unused = tuple(
        sorted(
            (min(pair), max(pair), mode)
            for pair, mode in org.interactions.items()
            if len(pair) == 2 and pair not in needed
        )
    )
    dense = len(m.teams) <= dense_up_to
    return Conway(
        congruence=covered / len(needs) if needs else None,
        needs=needs,
        declared_unused=unused,
        cross_team_share=cross / total if total > 0 else None,
        teams=_loads(org, m),
        matrix_teams=m.teams if dense else (),
        cr=tuple(tuple(float(x) for x in row) for row in m.cr.toarray()) if dense else (),
    )


def _calls_by_pair(org: Org, teams: tuple[str, ...]) -> dict[tuple[str, str], list[Call]]:
    found: dict[tuple[str, str], list[Call]] = {}
    for c in org.calls:
        a, b = org.owner.get(c.source), org.owner.get(c.target)
        if a is None or b is None or a == b:
            continue
        found.setdefault((min(a, b), max(a, b)), []).append(c)
    for calls in found.values():
        calls.sort(key=lambda c: (-c.rate, c.source, c.target))
    return found


def _loads(org: Org, m: Matrices) -> tuple[TeamLoad, ...]:
    cr = m.cr.tolil()
    cr.setdiag(0)
    out = cr.tocsr()
    out.eliminate_zeros()
    fan_out = np.diff(out.indptr)
    incoming = out.tocsc()
    fan_in = np.diff(incoming.indptr)
    calls_out = np.asarray(out.sum(axis=1)).ravel()
    calls_in = np.asarray(out.sum(axis=0)).ravel()
    deps: dict[str, set[str]] = {t: set() for t in m.teams}
    for c in org.calls:
        a, b = org.owner.get(c.source), org.owner.get(c.target)
        if a is not None and b is not None and a != b:
            deps[a].add(c.target)
    owned = np.asarray(m.ta.sum(axis=1)).ravel()
    apis: dict[str, int] = dict.fromkeys(m.teams, 0)
    for api in org.apis:
        if api.provider is not None and api.provider in org.owner:
            apis[org.owner[api.provider]] += 1
    return tuple(
        TeamLoad(
            team=t,
            fan_in=int(fan_in[i]),
            fan_out=int(fan_out[i]),
            calls_in=float(calls_in[i]),
            calls_out=float(calls_out[i]),
            services=int(owned[i]),
            apis=apis[t],
            dependencies=len(deps[t]),
        )
        for i, t in enumerate(m.teams)
    )
