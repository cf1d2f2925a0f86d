"""DORA's four keys on hand-checked numbers, and the 2023 levels at their edges."""

from __future__ import annotations

import pytest

from orgloop.insights.delivery import bands, dora, facts
from tests.insights.delivery import worked as w


def _report(group_of: dict[str, int] | None = None, *, weekly: bool = False) -> dora.DoraResult:
    built = facts.dora_facts(
        group_of=group_of or {"checkout": 0},
        deploys=w.DEPLOYS,
        links=w.LINKS,
        incidents=w.INCIDENTS,
        cause_changes=w.CAUSE_CHANGES,
        cause_deploys=[],
    )
    return dora.compute(built, 1, w.SINCE, w.UNTIL, weekly=weekly)


def test_four_keys_of_a_fortnight() -> None:
    """4 deployments in 14 days = 2 per week (>= once a week: high).

    Lead times: c1 2 h, c2 6 h, c3 30 h, c4 10 h -> sorted 2, 6, 10, 30 -> median (6 + 10) / 2
    = 8 h (< 1 day: elite). The incident names c3 as root cause, so d3 failed: 1 of 4 = 25%
    (> 15%: low). Restored after 90 minutes = 1.5 h (< 1 day but not < 1 hour: high). The
    weakest of the four is low.
    """
    m = _report().groups[0]
    assert m.deployments == 4
    assert m.deploys_per_week == pytest.approx(2.0)
    assert m.frequency_band == "high"
    assert m.changes_deployed == 4
    assert m.lead_time_median_hours == pytest.approx(8.0)
    assert m.lead_time_band == "elite"
    assert m.failed_deployments == 1
    assert m.change_failure_rate == pytest.approx(0.25)
    assert m.failure_rate_band == "low"
    assert m.time_to_restore_median_hours == pytest.approx(1.5)
    assert m.restore_band == "high"
    assert m.band == "low"


def test_weeks_hold_the_trend() -> None:
    """Weeks start on 1 March: d1, d2 in week 1 (Mar 1-7); d3, d4 in week 2 (Mar 8-14).

    Week 2: 2 deployments, d3 failed -> CFR 50%; leads 30 h and 10 h -> median 20 h.
    """
    weeks = _report(weekly=True).weeks[0]
    assert [x.deployments for x in weeks] == [2, 2]
    assert weeks[0].change_failure_rate == 0.0
    assert weeks[1].change_failure_rate == pytest.approx(0.5)
    assert weeks[1].lead_time_median_hours == pytest.approx(20.0)
    assert weeks[0].lead_time_median_hours == pytest.approx(4.0)  # (2 + 6) / 2


def test_an_incident_can_name_the_deployment_itself() -> None:
    """Root cause "d2" (a deploy id) marks d2 failed too: 2 of 4 = 50%."""
    built = facts.dora_facts(
        group_of={"checkout": 0},
        deploys=w.DEPLOYS,
        links=w.LINKS,
        incidents=w.INCIDENTS,
        cause_changes=w.CAUSE_CHANGES,
        cause_deploys=[(1, 2)],
    )
    assert dora.compute(built, 1, w.SINCE, w.UNTIL).groups[0].change_failure_rate == 0.5


def test_services_outside_the_grouping_are_left_out() -> None:
    result = _report({"search": 0})
    assert result.groups[0].deployments == 0
    assert result.groups[0].band is None


@pytest.mark.parametrize(
    ("per_day", "band"),
    [
        (2.0, "elite"),
        (1.0, "elite"),
        (0.99, "high"),
        (1 / 7, "high"),
        (0.1, "medium"),
        (1 / 30, "medium"),
        (0.03, "low"),
    ],
)
def test_frequency_levels(per_day: float, band: str) -> None:
    assert bands.frequency_band(per_day) == band


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (0.0, "elite"),
        (0.05, "elite"),
        (0.06, "high"),
        (0.15, "medium"),
        (0.16, "low"),
        (0.64, "low"),
    ],
)
def test_failure_rate_levels(rate: float, band: str) -> None:
    assert bands.failure_rate_band(rate) == band


@pytest.mark.parametrize(
    ("hours", "lead", "restore"),
    [
        (0.5, "elite", "elite"),
        (1.0, "elite", "high"),
        (24.0, "high", "medium"),
        (24 * 7, "high", "medium"),
        (24 * 8, "medium", "low"),
        (24 * 31, "low", "low"),
    ],
)
def test_duration_levels(hours: float, lead: str, restore: str) -> None:
    assert bands.lead_time_band(hours * 3600) == lead
    assert bands.restore_band(hours * 3600) == restore
