"""The flow report's SQL (store_reads.flow_items, and the flow stored with each item at import)
against the pure numpy reference (flow.item_flow), on SQLite and PostgreSQL, over the
benchmark's random work items."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bench import insights_delivery as generated
from orgloop.app import Services
from orgloop.insights.delivery import facts, flow, store, store_reads
from orgloop.insights.delivery.models import StatusClasses

TEAMS = 6
CODES = facts.FlowCodes(teams={f"team-{t}": t for t in range(TEAMS)}, capabilities={"cap-0": 0})


def _rows(items: flow.ItemFlow) -> list[tuple[float, ...]]:
    columns = (
        items.team,
        items.capability,
        items.started,
        items.done,
        items.active,
        items.waiting,
        items.waiting_other,
        items.handoffs,
        items.unplanned,
    )
    return sorted(zip(*(np.asarray(c, dtype=float) for c in columns), strict=True))


@pytest.mark.parametrize(
    "classes",
    [
        flow.DEFAULT_CLASSES,
        flow.DEFAULT_CLASSES.model_copy(
            update={"waiting": ["Blocked"], "unplanned_types": ["Story"]}
        ),
    ],
    ids=["default", "review-unclassified"],
)
def test_sql_and_numpy_agree(services: Services, classes: StatusClasses) -> None:
    batch = generated.work(300, TEAMS, random.Random(5))
    with services.db.transaction() as session:
        store.save(session, batch)
    since, until = generated.SINCE, generated.UNTIL
    with services.db.reading() as session:
        sql = store_reads.flow_items(session, classes, since, until, None)
        stored = store_reads.flow_items_default(session, classes, since, until, None)
        items, intervals, change_times = store_reads.flow_rows(session, since, None)
    built, holders = facts.flow_facts(
        codes=CODES, items=items, intervals=intervals, change_times=change_times
    )
    ref_items, _, ref_pairs, ref_unclassified = flow.item_flow(
        built, classes, since=since, until=until
    )
    sql_items, _ = facts.item_flow_rows(CODES, sql["items"], sql["defects"])
    assert len(ref_items.team) > 200
    assert _rows(sql_items) == _rows(ref_items)
    assert sorted(tuple(p) for p in sql["pairs"]) == sorted(
        (holders[a], holders[b], n) for a, b, n in ref_pairs
    )
    assert sql["unclassified"] == ref_unclassified
    if classes == flow.DEFAULT_CLASSES:  # the flow stored at import answers the same
        fast, _ = facts.item_flow_rows(CODES, stored["items"], stored["defects"])
        assert _rows(fast) == _rows(ref_items)
        assert sorted(tuple(p) for p in stored["pairs"]) == sorted(tuple(p) for p in sql["pairs"])
        assert stored["unclassified"] == ref_unclassified
