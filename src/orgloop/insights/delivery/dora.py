"""The four keys of DORA per group (team or service) over a window, in the Four Keys model (pure).

Inputs are arrays (one row per deployment, per deployment-change link, per change, per incident),
so a year of deployments of thousands of services is a handful of numpy passes:

* deployment frequency: successful deployments in the window, per week;
* lead time for changes: for each change, its first deployment's time minus its creation time,
  counted in the window of that first deployment (median);
* change failure rate: deployments in the window that an incident names as its root cause,
  directly by deploy id or through a change (then the change's first deployment), over all;
* time to restore: resolved minus created, for incidents opened in the window (median).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from orgloop.insights.delivery import bands, grouped
from orgloop.insights.delivery.grouped import Floats, Ints
from orgloop.insights.delivery.models import DoraMetrics, DoraWeek

HOUR = 3600.0
WEEK = 7 * 86400


@dataclass(frozen=True)
class DoraFacts:
    """Everything DORA needs, as arrays; groups are codes into a list of names."""

    deploy_group: Ints
    deploy_time: Ints  # epoch seconds
    change_time: Ints  # epoch seconds, one per change
    link_deploy: Ints  # deployment-change links: deployment index ...
    link_change: Ints  # ... and change index
    incident_group: Ints
    incident_created: Ints
    incident_resolved: Floats  # epoch seconds, NaN while open
    cause_change: Ints  # change indexes named as an incident's root cause
    cause_deploy: Ints  # deployment indexes named as an incident's root cause


@dataclass(frozen=True)
class DoraResult:
    total: DoraMetrics
    groups: list[DoraMetrics]
    weeks: list[list[DoraWeek]]


def first_deployments(facts: DoraFacts) -> Ints:
    """Per change, the index of its earliest deployment (-1 when never deployed)."""
    first = np.full(len(facts.change_time), -1, dtype=np.int64)
    if len(facts.link_change) == 0:
        return first
    order = np.lexsort((facts.deploy_time[facts.link_deploy], facts.link_change))
    changes = facts.link_change[order]
    leading = np.concatenate(([True], changes[1:] != changes[:-1]))
    first[changes[leading]] = facts.link_deploy[order][leading]
    return first


def failed_deployments(facts: DoraFacts, first: Ints) -> npt.NDArray[np.bool_]:
    failed = np.zeros(len(facts.deploy_time), dtype=bool)
    via_change = first[facts.cause_change]
    failed[via_change[via_change >= 0]] = True
    failed[facts.cause_deploy] = True
    return failed


def compute(
    facts: DoraFacts, n_groups: int, since: datetime, until: datetime, *, weekly: bool = False
) -> DoraResult:
    start, end = int(since.timestamp()), int(until.timestamp())
    n_weeks = max(1, -(-(end - start) // WEEK))
    days = max((end - start) / 86400, 1e-9)
    first = first_deployments(facts)
    failed = failed_deployments(facts, first)

    d_in = (facts.deploy_time >= start) & (facts.deploy_time < end)
    d_group, d_week = facts.deploy_group[d_in], (facts.deploy_time[d_in] - start) // WEEK
    d_failed = failed[d_in].astype(np.float64)

    deployed = first >= 0
    c_deploy = first[deployed]
    c_time = facts.deploy_time[c_deploy]
    c_in = (c_time >= start) & (c_time < end)
    c_group = facts.deploy_group[c_deploy][c_in]
    c_week = (c_time[c_in] - start) // WEEK
    c_lead = (c_time[c_in] - facts.change_time[deployed][c_in]).astype(np.float64)

    i_in = (facts.incident_created >= start) & (facts.incident_created < end)
    i_group = facts.incident_group[i_in]
    i_week = (facts.incident_created[i_in] - start) // WEEK
    restore = facts.incident_resolved[i_in] - facts.incident_created[i_in]
    resolved = ~np.isnan(restore)

    def parts(g: tuple[Ints, Ints, Ints, Ints], size: int) -> _Parts:
        return _Parts(
            deploys=grouped.counts(g[0], size),
            failed=grouped.sums(g[0], d_failed, size),
            changes=grouped.counts(g[1], size),
            lead=grouped.medians(g[1], c_lead, size),
            incidents=grouped.counts(g[2], size),
            resolved=grouped.counts(g[3], size),
            restore=grouped.medians(g[3], restore[resolved], size),
        )

    keys = (d_group, c_group, i_group, i_group[resolved])
    by_group = parts(keys, n_groups)
    per_group = [by_group.metrics(k, days) for k in range(n_groups)]
    z = [np.zeros(len(k), dtype=np.int64) for k in keys]
    total = parts((z[0], z[1], z[2], z[3]), 1).metrics(0, days)
    if not weekly:
        return DoraResult(total=total, groups=per_group, weeks=[[] for _ in range(n_groups)])
    weekly_keys = (
        d_group * n_weeks + d_week,
        c_group * n_weeks + c_week,
        i_group * n_weeks + i_week,
        (i_group * n_weeks + i_week)[resolved],
    )
    by_week = parts(weekly_keys, n_groups * n_weeks)
    weeks = [
        [by_week.week(g * n_weeks + w, since, w) for w in range(n_weeks)] for g in range(n_groups)
    ]
    return DoraResult(total=total, groups=per_group, weeks=weeks)


@dataclass(frozen=True)
class _Parts:
    deploys: Ints
    failed: Floats
    changes: Ints
    lead: Floats
    incidents: Ints
    resolved: Ints
    restore: Floats

    def metrics(self, k: int, days: float) -> DoraMetrics:
        deploys = int(self.deploys[k])
        per_day = deploys / days
        lead = _hours(self.lead[k])
        rate = float(self.failed[k]) / deploys if deploys else None
        restore = _hours(self.restore[k])
        levels = [
            bands.frequency_band(per_day) if deploys else None,
            bands.lead_time_band(lead * HOUR) if lead is not None else None,
            bands.failure_rate_band(rate) if rate is not None else None,
            bands.restore_band(restore * HOUR) if restore is not None else None,
        ]
        return DoraMetrics(
            deployments=deploys,
            deploys_per_week=round(per_day * 7, 4),
            frequency_band=levels[0],
            changes_deployed=int(self.changes[k]),
            lead_time_median_hours=lead,
            lead_time_band=levels[1],
            failed_deployments=int(self.failed[k]),
            change_failure_rate=round(rate, 4) if rate is not None else None,
            failure_rate_band=levels[2],
            incidents=int(self.incidents[k]),
            incidents_resolved=int(self.resolved[k]),
            time_to_restore_median_hours=restore,
            restore_band=levels[3],
            band=bands.overall(levels),
        )

    def week(self, k: int, since: datetime, w: int) -> DoraWeek:
        deploys = int(self.deploys[k])
        start = datetime.fromtimestamp(int(since.timestamp()) + w * WEEK, tz=UTC)
        return DoraWeek(
            week_start=start.date(),
            deployments=deploys,
            lead_time_median_hours=_hours(self.lead[k]),
            change_failure_rate=round(float(self.failed[k]) / deploys, 4) if deploys else None,
            time_to_restore_median_hours=_hours(self.restore[k]),
        )


def _hours(seconds: float) -> float | None:
    return None if np.isnan(seconds) else round(float(seconds) / HOUR, 4)
