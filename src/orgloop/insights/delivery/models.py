"""Wire models of the DORA and flow reports (pydantic; what the API, CLI and pages show)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from orgloop.insights.delivery import bands
from orgloop.insights.delivery.bands import Band as Band

BANDS_SOURCE = (
    "Accelerate State of DevOps Report 2023 (DORA, Google Cloud): software delivery "
    "performance levels; thresholds as in docs/insights-delivery.md"
)

LEVEL_LINES: dict[str, list[tuple[Band, float]]] = {
    "deploys_per_week": [
        ("elite", 7 * bands.FREQUENCY_FLOOR["elite"]),
        ("high", 7 * bands.FREQUENCY_FLOOR["high"]),
    ],
    "lead_time_hours": [
        ("elite", bands.LEAD_TIME_CEILING["elite"] / bands.HOUR),
        ("high", bands.LEAD_TIME_CEILING["high"] / bands.HOUR),
    ],
    "change_failure_rate_pct": [(b, 100 * c) for b, c in bands.FAILURE_RATE_CEILING.items()],
    "time_to_restore_hours": [
        ("elite", bands.RESTORE_CEILING["elite"] / bands.HOUR),
        ("high", bands.RESTORE_CEILING["high"] / bands.HOUR),
    ],
}
"""Where each key's levels begin, in the units the charts draw (the lines on the trends)."""


class DoraMetrics(BaseModel):
    deployments: int = Field(description="Successful deployments in the window.")
    deploys_per_week: float
    frequency_band: Band | None
    changes_deployed: int = Field(description="Changes whose first deployment is in the window.")
    lead_time_median_hours: float | None = Field(
        description="Median time from a change's creation to its first deployment."
    )
    lead_time_band: Band | None
    failed_deployments: int = Field(
        description="Deployments named as the root cause of an incident (by a change or by id)."
    )
    change_failure_rate: float | None = Field(description="failed / deployments, 0..1.")
    failure_rate_band: Band | None
    incidents: int = Field(description="Incidents opened in the window.")
    incidents_resolved: int
    time_to_restore_median_hours: float | None
    restore_band: Band | None
    band: Band | None = Field(description="The weakest of the four levels.")


class DoraWeek(BaseModel):
    week_start: date
    deployments: int
    lead_time_median_hours: float | None
    change_failure_rate: float | None
    time_to_restore_median_hours: float | None


class DoraGroup(BaseModel):
    key: str = Field(description="The team's or the service's name.")
    team: str | None = Field(description="The owning team (of the service, or the team itself).")
    metrics: DoraMetrics
    weeks: list[DoraWeek]


class DoraReport(BaseModel):
    since: datetime
    until: datetime
    group_by: Literal["team", "service"]
    total: DoraMetrics
    groups: list[DoraGroup]
    bands_source: str = BANDS_SOURCE


class FlowMetrics(BaseModel):
    items_completed: int = Field(description="Work items that reached a done status in the window.")
    flow_time_median_days: float | None = Field(
        description="Median time from the first started (active or waiting) status to done."
    )
    flow_time_p85_days: float | None
    active_days: float = Field(description="Time in active statuses, summed over the items.")
    waiting_days: float = Field(description="Time in waiting statuses, summed over the items.")
    flow_efficiency: float | None = Field(description="active / (active + waiting), 0..1.")
    handoffs: int = Field(description="Moves of an item from one team to another.")
    handoffs_per_item: float | None
    waiting_on_other_teams_days: float = Field(
        description="Waiting time while another team than the item's own held it."
    )
    waiting_on_other_teams_share: float | None = Field(description="... of all waiting time.")
    unplanned_items: int = Field(description="Completed items of an unplanned type (bug, ...).")
    unplanned_share: float | None
    defects_with_cause: int = Field(
        description="Defects opened in the window whose introducing change is known."
    )
    defect_discovery_median_days: float | None = Field(
        description="Median time from the introducing change to the defect's creation."
    )


class FlowWeek(BaseModel):
    week_start: date
    items_completed: int
    active_days: float
    waiting_days: float


class FlowGroup(BaseModel):
    key: str
    metrics: FlowMetrics
    weeks: list[FlowWeek]


class Handoff(BaseModel):
    from_team: str
    to_team: str
    count: int


class StatusClasses(BaseModel):
    """Which statuses count as active, waiting or done (case-insensitive); others are backlog
    before work starts and waiting after it (listed in ``unclassified_statuses``)."""

    active: list[str]
    waiting: list[str]
    done: list[str]
    backlog: list[str]
    unplanned_types: list[str]


class FlowReport(BaseModel):
    since: datetime
    until: datetime
    statuses: StatusClasses
    total: FlowMetrics
    teams: list[FlowGroup]
    capabilities: list[FlowGroup]
    handoffs: list[Handoff]
    unclassified_statuses: list[str]
