"""Rows as the store reads them, turned into the arrays ``dora`` and ``flow`` compute on (pure).

Names become integer codes here; rows whose service or team is not in the caller's grouping are
left out, which is how a report is narrowed to one team or one service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from orgloop.insights.delivery.dora import DoraFacts
from orgloop.insights.delivery.flow import Defects, FlowFacts, ItemFlow
from orgloop.insights.delivery.grouped import Ints

DeployRow = tuple[int, str, int]  # pk, service, time
PairRow = tuple[int, int]  # (deployment pk, change pk), (incident pk, change or deployment pk)
LinkRow = tuple[int, int, int]  # deployment pk, change pk, the change's creation time
IncidentRow = tuple[int, str, int, int | None]  # pk, service, created, resolved
ItemRow = tuple[int, str, str, str | None, int, str | None]  # pk, type, team, capability,
# created, introducing change_id
IntervalRow = tuple[int, str, str, int, int | None]  # item pk, status, team, entered, left


def _ints(values: Sequence[int] | list[int]) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _pairs(rows: Sequence[PairRow]) -> tuple[Ints, Ints]:
    flat = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _index(keys: Ints, wanted: Ints) -> Ints:
    """Positions of ``wanted`` in the sorted ``keys`` (-1 where absent)."""
    if len(keys) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[at] == wanted, at, -1).astype(np.int64)


def dora_facts(
    *,
    group_of: Mapping[str, int],
    deploys: Sequence[DeployRow],
    links: Sequence[LinkRow],
    incidents: Sequence[IncidentRow],
    cause_changes: Sequence[PairRow],
    cause_deploys: Sequence[PairRow],
) -> DoraFacts:
    """Rows keyed by database keys, as arrays indexed by position; deployments and incidents of
    services outside ``group_of`` are left out (and so are links and causes to them)."""
    groups = _ints([group_of.get(d[1], -1) for d in deploys])
    keep = groups >= 0
    d_pk = _ints([d[0] for d in deploys])[keep]
    d_time = _ints([d[2] for d in deploys])[keep]
    order = np.argsort(d_pk, kind="stable")
    d_pk, d_time, d_group = d_pk[order], d_time[order], groups[keep][order]
    table = np.asarray(links, dtype=np.int64).reshape(-1, 3)
    c_pk, first = np.unique(table[:, 1], return_index=True)
    c_time = table[first, 2]
    l_deploy, l_change = _index(d_pk, table[:, 0]), _index(c_pk, table[:, 1])
    ok = (l_deploy >= 0) & (l_change >= 0)
    kept = [i for i in incidents if i[1] in group_of]
    i_pk = _ints([i[0] for i in kept])
    cc_incident, cc_change = _pairs(cause_changes)
    cd_incident, cd_deploy = _pairs(cause_deploys)
    cc_change = _index(c_pk, cc_change[np.isin(cc_incident, i_pk)])
    cd_deploy = _index(d_pk, cd_deploy[np.isin(cd_incident, i_pk)])
    return DoraFacts(
        deploy_group=d_group,
        deploy_time=d_time,
        change_time=c_time,
        link_deploy=l_deploy[ok],
        link_change=l_change[ok],
        incident_group=_ints([group_of[i[1]] for i in kept]),
        incident_created=_ints([i[2] for i in kept]),
        incident_resolved=np.asarray(
            [np.nan if i[3] is None else float(i[3]) for i in kept], dtype=np.float64
        ).reshape(-1),
        cause_change=cc_change[cc_change >= 0],
        cause_deploy=cd_deploy[cd_deploy >= 0],
    )


@dataclass(frozen=True)
class FlowCodes:
    teams: Mapping[str, int]
    capabilities: Mapping[str, int]


def flow_facts(
    *,
    codes: FlowCodes,
    items: Sequence[ItemRow],
    intervals: Sequence[IntervalRow],
    change_times: Mapping[str, int],
) -> tuple[FlowFacts, list[str]]:
    """``intervals`` sorted by (item pk, entered); items of teams outside ``codes`` are left out.

    Returns the facts and the names of every holding team's code (for the hand-offs).

    A holding team that is not one of ``codes.teams`` (outside the report) still counts as
    another team: it gets a code past the known ones.
    """
    kept = [i for i in items if i[2] in codes.teams]
    index = {i[0]: n for n, i in enumerate(kept)}
    statuses: dict[str, int] = {}
    types: dict[str, int] = {}
    holders = dict(codes.teams)
    iv = [r for r in intervals if r[0] in index]
    for row in iv:
        statuses.setdefault(row[1], len(statuses))
        holders.setdefault(row[2], len(holders))
    for item in kept:
        types.setdefault(item[1], len(types))
    cause = [change_times.get(i[5]) if i[5] else None for i in kept]
    return FlowFacts(
        statuses=list(statuses),
        types=list(types),
        iv_item=_ints([index[r[0]] for r in iv]),
        iv_status=_ints([statuses[r[1]] for r in iv]),
        iv_team=_ints([holders[r[2]] for r in iv]),
        iv_entered=_ints([r[3] for r in iv]),
        iv_left=_ints([-1 if r[4] is None else r[4] for r in iv]),
        item_team=_ints([codes.teams[i[2]] for i in kept]),
        item_capability=_ints([codes.capabilities.get(i[3], -1) if i[3] else -1 for i in kept]),
        item_type=_ints([types[i[1]] for i in kept]),
        item_created=_ints([i[4] for i in kept]),
        item_cause_time=np.asarray(
            [np.nan if c is None else float(c) for c in cause], dtype=np.float64
        ).reshape(-1),
    ), list(holders)


def item_flow_rows(
    codes: FlowCodes, items: Sequence[Sequence[Any]], defects: Sequence[Sequence[Any]]
) -> tuple[ItemFlow, Defects]:
    """``store_reads.flow_items``' rows (team, capability, started, done, active, waiting,
    waiting on others, hand-offs, unplanned; defects: team, capability, discovery) as arrays by
    code."""
    kept = [r for r in items if r[0] in codes.teams]
    found = [r for r in defects if r[0] in codes.teams and r[2] is not None and r[2] >= 0]
    table = np.asarray([r[2:] for r in kept], dtype=np.float64).reshape(-1, 7)
    return (
        ItemFlow(
            item=np.arange(len(kept), dtype=np.int64),
            team=_ints([codes.teams[r[0]] for r in kept]),
            capability=_ints([codes.capabilities.get(r[1], -1) if r[1] else -1 for r in kept]),
            started=table[:, 0].astype(np.int64),
            done=table[:, 1].astype(np.int64),
            active=table[:, 2],
            waiting=table[:, 3],
            waiting_other=table[:, 4],
            handoffs=table[:, 5],
            unplanned=table[:, 6] > 0,
        ),
        Defects(
            team=_ints([codes.teams[r[0]] for r in found]),
            capability=_ints([codes.capabilities.get(r[1], -1) if r[1] else -1 for r in found]),
            discovery=np.asarray([float(r[2]) for r in found], dtype=np.float64).reshape(-1),
        ),
    )
