"""Flow metrics on hand-checked numbers; hand-offs and case durations agree with pm4py."""

from __future__ import annotations

import pytest

from orgloop.insights.delivery import facts, flow
from orgloop.insights.delivery.models import StatusClasses
from tests.insights.delivery import worked as w

CODES = facts.FlowCodes(teams={"payments": 0}, capabilities={"shopping": 0})


def _report(
    classes: StatusClasses = flow.DEFAULT_CLASSES, *, weekly: bool = False
) -> flow.FlowResult:
    built, holders = facts.flow_facts(
        codes=CODES, items=w.ITEMS, intervals=w.INTERVALS, change_times=w.CHANGE_TIMES
    )
    assert holders == ["payments", "platform"]
    return flow.compute(
        built, classes, n_teams=1, n_capabilities=1, since=w.SINCE, until=w.UNTIL, weekly=weekly
    )


def test_flow_of_a_story_and_a_bug() -> None:
    """Story: started Mar 2 09:00 (In Progress), done Mar 5 21:00 -> flow time 3.5 days;
    active 24 h + 12 h = 1.5 days, blocked (waiting) Mar 3 09:00 - Mar 5 09:00 = 2 days while
    platform held it: 2 hand-offs (payments -> platform -> payments), 2 days waiting on another
    team. Bug: In Progress Mar 6 12:00, done Mar 7 00:00 -> 0.5 days, all active; its cause c1
    was created Mar 1 08:00 and the bug Mar 6 08:00 -> found 5 days after.

    Team: 2 items; flow time median (0.5 + 3.5) / 2 = 2 days, p85 0.5 + 3 * 0.85 = 3.05 days;
    active 2 days, waiting 2 days -> efficiency 50%; 2 hand-offs, 1 per item; waiting on other
    teams 2 days = 100% of waiting; 1 unplanned (the bug) of 2 = 50%; discovery 5 days.
    """
    m = _report().teams[0]
    assert m.items_completed == 2
    assert m.flow_time_median_days == pytest.approx(2.0)
    assert m.flow_time_p85_days == pytest.approx(3.05)
    assert m.active_days == pytest.approx(2.0)
    assert m.waiting_days == pytest.approx(2.0)
    assert m.flow_efficiency == pytest.approx(0.5)
    assert m.handoffs == 2
    assert m.handoffs_per_item == pytest.approx(1.0)
    assert m.waiting_on_other_teams_days == pytest.approx(2.0)
    assert m.waiting_on_other_teams_share == pytest.approx(1.0)
    assert m.unplanned_items == 1
    assert m.unplanned_share == pytest.approx(0.5)
    assert m.defects_with_cause == 1
    assert m.defect_discovery_median_days == pytest.approx(5.0)


def test_capability_and_handoff_network() -> None:
    result = _report()
    assert result.capabilities[0].items_completed == 2
    assert sorted(result.handoffs) == [(0, 1, 1), (1, 0, 1)]
    assert result.unclassified == []


def test_active_statuses_are_configurable() -> None:
    """Counting "Blocked" as active makes the story all active: efficiency 4 / 4 = 100%."""
    classes = flow.DEFAULT_CLASSES.model_copy(
        update={"active": ["In Progress", "Blocked"], "waiting": []}
    )
    assert _report(classes).teams[0].flow_efficiency == pytest.approx(1.0)


def test_unknown_statuses_wait_and_are_listed() -> None:
    classes = flow.DEFAULT_CLASSES.model_copy(update={"waiting": []})
    result = _report(classes)
    assert result.unclassified == ["Blocked"]
    assert result.teams[0].flow_time_median_days == pytest.approx(2.0)
    assert result.teams[0].waiting_days == pytest.approx(2.0)


def test_weeks_split_by_completion() -> None:
    """The story finishes in week 1 (Mar 5), the bug too (Mar 7 00:00 < Mar 8)."""
    weeks = _report(weekly=True).team_weeks[0]
    assert [x.items_completed for x in weeks] == [2, 0]
    assert weeks[0].active_days == pytest.approx(2.0)


def test_agrees_with_pm4py() -> None:
    """pm4py's case durations (first to last event) and its hand-over-of-work network between
    teams (resource = holding team) match ours on the completed items."""
    pd = pytest.importorskip("pandas", reason="pm4py works on pandas frames")
    pm4py = pytest.importorskip("pm4py", reason="pm4py is the dev-only process-mining oracle")
    rows = [
        {
            "case:concept:name": str(item),
            "concept:name": status,
            "org:resource": team,
            "time:timestamp": pd.Timestamp(entered, unit="s", tz="UTC"),
        }
        for item, status, team, entered, _ in w.INTERVALS
        if status not in ("Backlog", "To Do")
    ]
    log = pd.DataFrame(rows)
    durations = sorted(pm4py.get_all_case_durations(log))
    assert [d / 86400 for d in durations] == pytest.approx([0.5, 3.5])
    network = pm4py.discover_handover_of_work_network(log, beta=0)
    ours = _report().handoffs
    names = ["payments", "platform"]
    theirs = {
        pair for pair, value in network.connections.items() if value > 0 and pair[0] != pair[1]
    }
    assert theirs == {(names[a], names[b]) for a, b, _ in ours}
