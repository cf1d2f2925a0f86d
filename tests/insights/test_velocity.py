"""Learning velocity per team, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from orgloop.insights.velocity import Run, velocity


def d(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_started_decided_time_to_decision_and_outcome_shares() -> None:
    """Team a: 4 started (Jan 1, Jan 11, Feb 1, Feb 10); decided: ship after 10 days (Jan 11),
    kill after 20 (Jan 31), iterate after 30 (Mar 3); one still running. Median of 10, 20, 30
    = 20 days; shares 1/3 each. Months: Jan 2 started, 2 decided; Feb 2 started; Mar 1 decided.
    With since=Feb 1: 2 started, 1 decided (iterate), 30 days."""
    runs = [
        Run("a", d(1, 1), d(1, 11), "ship"),
        Run("a", d(1, 11), d(1, 31), "kill"),
        Run("a", d(2, 1), d(3, 3), "iterate"),
        Run("a", d(2, 10), None, None),
        Run("b", None, None, None),
    ]
    [a, b] = velocity(runs)
    assert (a.started, a.decided, a.median_days_to_decision) == (4, 3, 20.0)
    assert (a.shipped, a.killed, a.inconclusive) == (1 / 3, 1 / 3, 1 / 3)
    assert a.months == (("2026-01", 2, 2), ("2026-02", 2, 0), ("2026-03", 0, 1))
    assert (b.started, b.decided, b.shipped) == (0, 0, None)
    [later, _] = velocity(runs, since=d(2, 1))
    assert (later.started, later.decided, later.inconclusive) == (2, 1, 1.0)
    assert later.median_days_to_decision == 30.0
