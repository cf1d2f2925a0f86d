"""The worked examples of the delivery tests: one team's fortnight, small enough to check by hand."""

from __future__ import annotations

from datetime import UTC, datetime

SINCE = datetime(2024, 3, 1, tzinfo=UTC)
UNTIL = datetime(2024, 3, 15, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def ts(day: int, hour: int = 0, minute: int = 0) -> int:
    return int(at(day, hour, minute).timestamp())


# Four deployments of checkout in 14 days; each ships one change; c3's deployment d3 breaks.
# Rows as the store reads them: database keys (deployments 1-4, changes 11-14, incident 1).
DEPLOYS = [
    (1, "checkout", ts(1, 10)),
    (2, "checkout", ts(4, 10)),
    (3, "checkout", ts(8, 10)),
    (4, "checkout", ts(12, 10)),
]
DEPLOY_IDS = {1: "d1", 2: "d2", 3: "d3", 4: "d4"}
CHANGES = [(11, ts(1, 8)), (12, ts(4, 4)), (13, ts(7, 4)), (14, ts(12, 0))]
CHANGE_IDS = {11: "c1", 12: "c2", 13: "c3", 14: "c4"}
CHANGE_TIMES = {CHANGE_IDS[pk]: t for pk, t in CHANGES}
LINKS = [(d, c, dict(CHANGES)[c]) for d, c in [(1, 11), (2, 12), (3, 13), (4, 14)]]
INCIDENTS = [(1, "checkout", ts(8, 12), ts(8, 13, 30))]
CAUSE_CHANGES = [(1, 13)]

# Item 1, a story: worked a day by payments, blocked two days on platform, worked 12 hours more.
# Item 2, a bug that c1 introduced: found on day 6, fixed in half a day.
ITEMS = [
    (1, "Story", "payments", "shopping", ts(1), None),
    (2, "Bug", "payments", "shopping", ts(6, 8), "c1"),
]
INTERVALS = [
    (1, "Backlog", "payments", ts(1), ts(2, 9)),
    (1, "In Progress", "payments", ts(2, 9), ts(3, 9)),
    (1, "Blocked", "platform", ts(3, 9), ts(5, 9)),
    (1, "In Progress", "payments", ts(5, 9), ts(5, 21)),
    (1, "Done", "payments", ts(5, 21), None),
    (2, "To Do", "payments", ts(6, 8), ts(6, 12)),
    (2, "In Progress", "payments", ts(6, 12), ts(7)),
    (2, "Done", "payments", ts(7), None),
]
