"""Batch validation without HTTP: every event is either a column entry or a rejection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.experiments.ingest.parsing import Batch, BatchRefused, IngestLimits, parse_batch
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = IngestLimits()


def parse(events: list[dict[str, object]]) -> Batch:
    return parse_batch(json.dumps({"events": events}).encode(), now=NOW, limits=LIMITS)


def test_offsets_are_kept_as_instants() -> None:
    batch = parse_batch(
        json.dumps({"events": [exposure(timestamp="2026-01-01T02:00:00+02:00")]}).encode(),
        now=NOW,
        limits=LIMITS,
    )
    assert batch.exposures.timestamp == [NOW]


@pytest.mark.parametrize(
    ("event", "path", "words"),
    [
        pytest.param(
            track(timestamp="2026-01-01T00:00:00"), "timestamp", "timezone", id="naive-time"
        ),
        pytest.param(
            track(timestamp="2026-01-02T00:00:01Z"), "timestamp", "24 h ahead", id="future"
        ),
        pytest.param(track(type="click"), "type", "", id="unknown-type"),
        pytest.param(track(value="12"), "value", "float", id="value-text"),
        pytest.param(track(properties=[1, 2]), "properties", "object", id="properties-list"),
        pytest.param(exposure(experiment=None), "experiment", "experiment key", id="no-experiment"),
        pytest.param(track(id="x" * 129), "id", "length", id="long-id"),
    ],
)
def test_a_bad_event_is_rejected_with_its_path(
    event: dict[str, object], path: str, words: str
) -> None:
    batch = parse([track(), event])
    assert [(r.index, r.path) for r in batch.rejected] == [(1, f"events[1].{path}")]
    assert words in batch.rejected[0].reason
    assert batch.tracks.id == [batch.tracks.id[0]]


def test_an_out_of_range_number_is_rejected() -> None:
    body = json.dumps({"events": [track(value=1.0), track()]}).encode().replace(b"1.0", b"1e400")
    batch = parse_batch(body, now=NOW, limits=LIMITS)
    assert [r.path for r in batch.rejected] == ["events[0].value"]


def test_timestamps_within_the_skew_allowance_are_fine() -> None:
    just_inside = (NOW + timedelta(hours=23)).isoformat()
    assert parse([track(timestamp=just_inside)]).rejected == []


def test_a_json_array_is_refused_whole() -> None:
    with pytest.raises(BatchRefused):
        parse_batch(b"[]", now=NOW, limits=LIMITS)


_field = st.sampled_from(["id", "unit", "timestamp", "event", "value", "type", "properties"])
_junk = st.one_of(
    st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), _field, _junk), max_size=20))
def test_every_event_is_either_kept_or_rejected_once(spec: list[tuple[bool, str, object]]) -> None:
    events = []
    for spoil, field, junk in spec:
        event = track()
        if spoil:
            event[field] = junk
        events.append(event)
    batch = parse(events)  # never raises for an events list
    rejected = [r.index for r in batch.rejected]
    assert len(set(rejected)) == len(rejected)
    assert len(batch.tracks.id) + len(rejected) == len(events)
