"""Unit numbers: the event store numbers every unit densely and the analysis uses the numbers.

What a user would notice: the same analysis, whichever way it is computed; numbers that stay the
unit's across segments, reopens and stores made before the numbers existed."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import ibis
import numpy as np

from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.store import EventStore
from orgloop.experiments.ingest.units import UnitIndex
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.queries import Analysis, analyse
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)
METRICS = parse_metrics(
    [
        {"key": "spend", "event": "purchase", "aggregation": "sum", "window": {"end_hours": 48}},
        {"key": "visits", "event": "visit", "cap": {"absolute": 3}},
        {"key": "bought", "kind": "proportion", "event": "purchase"},
        {"key": "top", "event": "purchase", "aggregation": "max", "cuped_lookback_hours": None},
        {"key": "p50", "kind": "quantile", "quantile": 0.5, "event": "visit"},
    ]
)


def append(
    store: EventStore, events: list[dict[str, object]], environment: str | None = None
) -> None:
    # Received after all of them: none is refused as too far ahead of the server's clock.
    later = NOW + timedelta(days=30)
    batch = parse_batch(json.dumps({"events": events}).encode(), now=later, limits=IngestLimits())
    assert batch.valid == len(events)
    store.append(batch, received_at=later, environment=environment)


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def traffic(seed: int, units: int) -> list[dict[str, object]]:
    """Exposures and events of ``units`` units (one in both variants), before and after exposure,
    and events of units never exposed."""
    rnd = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(units):
        unit, first = f"u{seed}-{i}", rnd.uniform(-100, 100)
        out.append(exposure(unit, variant=("control", "treatment")[i % 2], timestamp=at(first)))
        for _ in range(rnd.randrange(6)):
            name = rnd.choice(["purchase", "visit"])
            value = None if rnd.random() < 0.2 else round(rnd.uniform(-5, 50), 2)
            out.append(
                track(unit, event=name, value=value, timestamp=at(first + rnd.uniform(-400, 200)))
            )
    out.append(exposure(f"u{seed}-0", variant="treatment", timestamp=at(150)))
    out += [track(f"never-{seed}-{i}", event="visit", timestamp=at(0)) for i in range(5)]
    return out


def both(store: EventStore, **kwargs: object) -> tuple[Analysis, Analysis]:
    """The analysis by unit number and by the Ibis expression, on the same store."""
    con = ibis.duckdb.from_connection(store.cursor())
    numbered = analyse(
        con, experiment="checkout-redesign", metrics=METRICS, unit_numbers=True, **kwargs
    )  # type: ignore[arg-type]
    expression = analyse(con, experiment="checkout-redesign", metrics=METRICS, **kwargs)  # type: ignore[arg-type]
    return numbered, expression


def assert_same(numbered: Analysis, expression: Analysis) -> None:
    assert numbered.by_unit_number
    assert not expression.by_unit_number
    assert_same_figures(numbered, expression)


def assert_same_figures(numbered: Analysis, expression: Analysis) -> None:
    assert numbered.units == expression.units
    assert numbered.diagnostics == expression.diagnostics
    assert len(numbered.metrics) == len(expression.metrics)
    for a, b in zip(numbered.metrics, expression.metrics, strict=True):
        for name in a.__dataclass_fields__:
            x, y = getattr(a, name), getattr(b, name)
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (a.metric, name, x, y)
            else:
                assert x == y, (a.metric, name)
    assert numbered.quantiles == expression.quantiles


def unit_numbers(store: EventStore) -> dict[str, set[int]]:
    rows = (
        store.cursor()
        .execute("SELECT unit, uid FROM exposures UNION SELECT unit, uid FROM events")
        .fetchall()
    )
    out: dict[str, set[int]] = {}
    for unit, uid in rows:
        out.setdefault(unit, set()).add(uid)
    return out


def test_every_unit_has_one_number_across_segments_and_reopens(tmp_path: Path) -> None:
    store = EventStore.in_data_dir(tmp_path)
    events = traffic(1, 30)
    append(store, events[:40])
    store.flush()  # a segment of its own
    append(store, events[40:] + traffic(2, 20))  # known units again, with new ones
    store.close()
    store = EventStore.in_data_dir(tmp_path)  # the index is rebuilt from the table
    append(store, [track("u1-3", id="late"), track("new-after-reopen")])
    numbers = unit_numbers(store)
    assert all(len(uids) == 1 for uids in numbers.values())
    # Dense: 0 to n - 1, one per unit, as the units table records them.
    assert sorted(next(iter(u)) for u in numbers.values()) == list(range(len(numbers)))
    table = store.cursor().execute("SELECT unit, uid FROM units").fetchall()
    assert {unit: {uid} for unit, uid in table} == numbers
    store.close()


def test_the_analysis_by_unit_number_is_the_analysis_of_the_expression(tmp_path: Path) -> None:
    store = EventStore.in_data_dir(tmp_path)
    events = traffic(3, 120)
    append(store, events[:200])
    store.flush()
    append(store, events[200:], environment="production")
    append(store, traffic(4, 40), environment="staging")
    numbered, expression = both(store)
    assert numbered.diagnostics.units_in_several_variants == 2
    assert sum(n for _, n in numbered.units) == 158
    assert_same(numbered, expression)
    assert_same(*both(store, environment="production"))
    assert_same(*both(store, until=NOW + timedelta(hours=20)))
    store.close()


def test_events_of_units_never_exposed_are_not_counted(tmp_path: Path) -> None:
    store = EventStore.in_data_dir(tmp_path)
    # The unit numbered first is never exposed: its events sit at number 0, in every window.
    append(store, [track("stranger", event="visit", timestamp=at(1))])
    store.flush()
    append(store, [exposure("a", variant="control", timestamp=at(0))])
    append(store, [track("a", event="visit", timestamp=at(2)), track("z", event="visit")])
    numbered, expression = both(store)
    assert [(s.metric, s.n, s.sum) for s in numbered.metrics if s.metric == "visits"] == [
        ("visits", 1, 1.0)
    ]
    assert_same(numbered, expression)
    store.close()


def test_a_store_made_before_unit_numbers_is_numbered_when_it_opens(tmp_path: Path) -> None:
    store = EventStore.in_data_dir(tmp_path)
    append(store, traffic(5, 60))
    store.close()
    con = duckdb.connect(str(tmp_path / "events.duckdb"))
    for table in ("exposures", "events"):  # the layout before unit numbers
        con.execute(f"ALTER TABLE {table} DROP COLUMN uid")
    con.execute("DROP TABLE units")
    con.close()
    store = EventStore.in_data_dir(tmp_path)
    append(store, [track("u5-1", event="visit"), track("after-upgrade")])
    numbers = unit_numbers(store)
    assert all(len(uids) == 1 and None not in uids for uids in numbers.values())
    assert sorted(next(iter(u)) for u in numbers.values()) == list(range(len(numbers)))
    assert_same(*both(store))
    store.close()


def test_a_shared_directory_reads_by_expression(tmp_path: Path) -> None:
    # Unit numbers are each store's own: through the union of several stores' rows the analysis
    # keeps to the expression, and still counts every store's events once.
    first = EventStore(tmp_path / "a" / "events.duckdb", shared_dir=tmp_path / "shared")
    second = EventStore(tmp_path / "b" / "events.duckdb", shared_dir=tmp_path / "shared")
    append(first, [exposure("a", variant="control"), track("a", event="visit")])
    append(second, [exposure("b", variant="control"), track("b", event="visit")])
    second.flush()
    con = ibis.duckdb.from_connection(first.cursor())
    result = analyse(con, experiment="checkout-redesign", metrics=METRICS, unit_numbers=True)
    assert not result.by_unit_number
    assert dict(result.units) == {"control": 2}
    first.close()
    second.close()


def test_the_index_finds_units_whose_fingerprints_share_an_upper_half() -> None:
    hi = np.array([5, 5, 5, 9], dtype=np.uint64)
    lo = np.array([1, 2, 3, 1], dtype=np.uint64)
    index = UnitIndex(hi, lo, np.arange(4))
    found = index.lookup(
        np.array([5, 5, 5, 5, 9, 4], dtype=np.uint64), np.array([3, 1, 2, 4, 1, 1], dtype=np.uint64)
    )
    assert found.tolist() == [2, 0, 1, -1, 3, -1]
    uid, new = index.number(np.array([5, 7], dtype=np.uint64), np.array([4, 0], dtype=np.uint64))
    assert (uid.tolist(), new.tolist()) == ([4, 5], [True, True])


def test_the_index_agrees_with_a_dict_as_runs_merge() -> None:
    rnd = np.random.default_rng(3)
    index = UnitIndex(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.int64))
    truth: dict[tuple[int, int], int] = {}
    for size in (1, 7, 3, 50, 2, 200, 9):
        hi = rnd.integers(0, 40, size, dtype=np.uint64)  # few upper halves: many equal ones
        lo = rnd.integers(0, 1 << 62, size, dtype=np.uint64)
        keys = list(dict.fromkeys(zip(hi.tolist(), lo.tolist(), strict=True)))
        hi = np.array([k[0] for k in keys], np.uint64)
        lo = np.array([k[1] for k in keys], np.uint64)
        uid, new = index.number(hi, lo)
        assert not new.any() or uid[new].tolist() == list(
            range(len(truth), len(truth) + int(new.sum()))
        )
        truth |= {k: int(u) for k, u, n in zip(keys, uid, new, strict=True) if n}
        index.add(hi[new], lo[new], uid[new])
        probe = list(truth)
        found = index.lookup(
            np.array([k[0] for k in probe], np.uint64), np.array([k[1] for k in probe], np.uint64)
        )
        assert found.tolist() == [truth[k] for k in probe]
    assert len(index) == len(truth)


def test_a_row_without_a_number_is_counted_by_the_expression_until_the_store_numbers_it(
    tmp_path: Path,
) -> None:
    store = EventStore.in_data_dir(tmp_path)
    append(store, traffic(6, 30))
    store.cursor().execute("UPDATE events SET uid = NULL WHERE unit = 'u6-1'")
    con = ibis.duckdb.from_connection(store.cursor())
    fallback = analyse(con, experiment="checkout-redesign", metrics=METRICS, unit_numbers=True)
    assert not fallback.by_unit_number
    store.close()
    store = EventStore.in_data_dir(tmp_path)  # numbered again when it opens
    numbered, expression = both(store)
    assert_same(numbered, expression)
    assert_same_figures(numbered, fallback)
    store.close()
