"""The column-at-a-time fast path of ``parse_batch`` decides exactly as the event-by-event path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch, parse_slowly
from tests.experiments.builders import exposure, track

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = IngestLimits(max_properties_bytes=64)

_spoils: dict[str, Any] = {
    "experiment": None,
    "variant": None,
    "event": None,
    "value": "1e400",
    "unit": "",
    "timestamp": (NOW + timedelta(hours=25)).isoformat(),
    "properties": [1, 2],
    "type": "click",
    "id": "x" * 129,
}
_properties = st.sampled_from([None, {"a": 1}, {"blob": "x" * 100}, "null"])


@st.composite
def _event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([exposure, track]))
    event: dict[str, Any] = kind(
        timestamp=draw(st.sampled_from(["2025-12-31T13:00:00Z", "2026-01-01T02:00:00+02:00"]))
    )
    props = draw(_properties)
    if props is None:
        event.pop("properties", None)
    elif props != "null":
        event["properties"] = props
    if draw(st.booleans()):
        field = draw(st.sampled_from(sorted(_spoils)))
        event[field] = _spoils[field]
    return event


def _body(events: list[dict[str, Any]]) -> bytes:
    # 1e400 is not a Python float: write it into the JSON text as a number.
    return json.dumps({"events": events}).replace('"1e400"', "1e400").encode()


@settings(max_examples=80, deadline=None)
@given(st.lists(_event(), max_size=12))
def test_the_fast_path_agrees_with_the_event_by_event_path(events: list[dict[str, Any]]) -> None:
    body = _body(events)
    assert parse_batch(body, now=NOW, limits=LIMITS) == parse_slowly(body, now=NOW, limits=LIMITS)


def test_a_clean_batch_keeps_every_event_in_columns() -> None:
    events = [exposure(), track(), track(value=None)]
    del events[2]["properties"]
    batch = parse_batch(_body(events), now=NOW, limits=LIMITS)
    assert (batch.rejected, len(batch.exposures.id), len(batch.tracks.id)) == ([], 1, 2)
    assert batch.tracks.properties == ['{"currency": "EUR"}', None]
