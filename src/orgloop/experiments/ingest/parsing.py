"""Validation of incoming event batches: bytes in, the good events as rows and the bad ones listed.

Pure logic, no IO.  The fast path decodes a batch with msgspec straight into strict structs (one
C-level pass that also checks the fields each kind requires and that values are finite), then
checks clock skew and properties over the whole batch.  The good rows are those structs
(``Exposure`` and ``Track``); the event store writes them back out with msgspec, so what it logs
is always in msgspec's own canonical JSON whatever the client sent.  Only when anything fails is the batch
decoded again event by event with lenient structs, so one bad event costs its batch the slow path
but never the good events, and every rejection names its field.  The slow path is the definition:
the fast path accepts a batch only if the slow path would accept every event of it
(``tests/experiments/test_ingest_fast_path.py``).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Annotated, Literal

import msgspec

from orgloop.kernel import jsonguard

_NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_ID = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
_AWARE = Annotated[datetime, msgspec.Meta(tz=True)]
_NO_PROPERTIES = msgspec.Raw(b"")


class WireEvent(msgspec.Struct, frozen=True):
    """One event as clients send it (see docs/events-and-metrics.md)."""

    id: _ID
    type: Literal["exposure", "track"]
    unit: _NAME
    timestamp: _AWARE
    experiment: _NAME | None = None
    variant: _NAME | None = None
    event: _NAME | None = None
    value: float | None = None
    properties: msgspec.Raw = _NO_PROPERTIES


_FINITE = Annotated[float, msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)]


class _Valid(
    msgspec.Struct,
    frozen=True,
    tag_field="type",
    omit_defaults=True,
    forbid_unknown_fields=True,
):
    """What a valid event of either type is decoded as (each names its ``tag``)."""


class Exposure(_Valid, frozen=True, tag="exposure"):
    """A valid exposure: what an exposure needs, with WireEvent's field types."""

    id: _ID
    unit: _NAME
    timestamp: _AWARE
    experiment: _NAME
    variant: _NAME
    event: _NAME | None = None
    value: _FINITE | None = None
    properties: msgspec.Raw = _NO_PROPERTIES


class Track(_Valid, frozen=True, tag="track"):
    """A valid track event, with its event name."""

    id: _ID
    unit: _NAME
    timestamp: _AWARE
    event: _NAME
    experiment: _NAME | None = None
    variant: _NAME | None = None
    value: _FINITE | None = None
    properties: msgspec.Raw = _NO_PROPERTIES


class _StrictBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    events: list[Exposure | Track]


_STRICT = msgspec.json.Decoder(_StrictBatch)


class _RawBatch(msgspec.Struct, frozen=True):
    events: list[msgspec.Raw]


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """What one batch may hold; larger ones are refused whole with 413."""

    max_events: int = 10_000
    max_bytes: int = 8 * 1024 * 1024
    max_future_skew: timedelta = timedelta(hours=24)
    max_properties_bytes: int = 16 * 1024


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    path: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"index": self.index, "path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ExposureColumns:
    """Exposures as columns (the shape of the ``exposures`` table, less what the store adds)."""

    id: list[str]
    unit: list[str]
    experiment: list[str]
    variant: list[str]
    timestamp: list[datetime]
    properties: list[str | None]

    @classmethod
    def of(cls, rows: list[Exposure]) -> ExposureColumns:
        return cls(
            id=[e.id for e in rows],
            unit=[e.unit for e in rows],
            experiment=[e.experiment for e in rows],
            variant=[e.variant for e in rows],
            timestamp=[e.timestamp for e in rows],
            properties=_texts(rows),
        )


@dataclass(frozen=True, slots=True)
class TrackColumns:
    """Track events as columns (the shape of the ``events`` table, less what the store adds)."""

    id: list[str]
    unit: list[str]
    event: list[str]
    value: list[float | None]
    timestamp: list[datetime]
    properties: list[str | None]

    @classmethod
    def of(cls, rows: list[Track]) -> TrackColumns:
        return cls(
            id=[e.id for e in rows],
            unit=[e.unit for e in rows],
            event=[e.event for e in rows],
            value=[e.value for e in rows],
            timestamp=[e.timestamp for e in rows],
            properties=_texts(rows),
        )


def _texts(rows: list[Exposure] | list[Track]) -> list[str | None]:
    return [bytes(e.properties).decode() if e.properties else None for e in rows]


@dataclass(slots=True)
class Batch:
    """The good events of one request, as rows, and why each bad one was refused."""

    size: int
    exposure_rows: list[Exposure] = field(default_factory=list)
    track_rows: list[Track] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.size - len(self.rejected)

    @property
    def exposures(self) -> ExposureColumns:
        return ExposureColumns.of(self.exposure_rows)

    @property
    def tracks(self) -> TrackColumns:
        return TrackColumns.of(self.track_rows)


class BatchRefused(ValueError):
    """The request as a whole is unusable: not JSON, no ``events`` list, or over a limit."""

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        too_large: bool = False,
        poisoned: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason
        self.too_large = too_large
        self.poisoned = poisoned or []
        """What ``jsonguard.problems`` found: text or numbers JSON cannot carry (422)."""

    @classmethod
    def poison(cls, found: list[dict[str, str]]) -> BatchRefused:
        return cls(found[0]["path"], found[0]["message"], poisoned=found)


def parse_batch(body: bytes, *, now: datetime, limits: IngestLimits, guard: bool = False) -> Batch:
    """Decode and validate one request body; raises ``BatchRefused`` if nothing can be used.

    With ``guard``, a body holding text or numbers JSON cannot carry is refused whole, as the
    JSON guard in front of every other route refuses it (``BatchRefused.poisoned``: the HTTP
    route answers 422 with ``jsonguard.refusal``); without it, such an event is rejected alone
    (a non-finite value) or stored as sent."""
    if len(body) > limits.max_bytes:
        raise BatchRefused("", f"batch is larger than {limits.max_bytes} bytes", too_large=True)
    latest = now + limits.max_future_skew
    try:
        fast = _parse_fast(body, latest=latest, limits=limits)
    except msgspec.ValidationError:
        fast = None
    except msgspec.DecodeError as exc:
        if guard:  # NaN, a lone surrogate: msgspec refuses them as malformed
            _refuse_poison(body)
        raise BatchRefused("", f"body is not valid JSON ({exc})") from None
    if fast is not None:
        return fast
    if guard:
        _refuse_poison(body)
    return parse_slowly(body, now=now, limits=limits)


def _refuse_poison(body: bytes) -> None:
    """The JSON guard's refusal (422 naming the field), for a body that holds text or numbers
    JSON cannot carry; the guard's full check, run only when the fast path did not vouch."""
    found = jsonguard.problems(body)
    if found:
        raise BatchRefused.poison(found)


def parse_slowly(body: bytes, *, now: datetime, limits: IngestLimits) -> Batch:
    """The reference path: event by event, each problem reported with its field."""
    try:
        events, rejected = _decode_one_by_one(body, limits=limits)
    except msgspec.DecodeError as exc:
        raise BatchRefused("", f"body is not valid JSON ({exc})") from None
    batch = Batch(size=len(events), rejected=rejected)
    _check_and_fill(batch, events, latest=now + limits.max_future_skew, limits=limits)
    batch.rejected.sort(key=lambda r: r.index)
    return batch


def _parse_fast(body: bytes, *, latest: datetime, limits: IngestLimits) -> Batch | None:
    """Whole-batch checks of a batch whose events all decode strictly; None if any fails."""
    events = _STRICT.decode(body).events
    _check_count(len(events), limits)
    if max(map(_TIMESTAMP, events), default=latest) > latest:
        return None
    oversized = limits.max_properties_bytes
    properties = [raw for raw in map(_PROPERTIES, events) if raw]
    if any(len(raw) > oversized or memoryview(raw)[0] != 0x7B for raw in properties):
        return None
    # What the JSON guard refuses and the strict decode lets through: a NUL escape in any
    # string, a huge number inside properties (NaN, lone surrogates, unknown fields and huge
    # numbers in typed fields already failed the decode).  Cheap scans; a hit takes the
    # careful path, where the guard's full check decides.
    if (b"\\" in body and b"\\u0000" in body) or (  # a lone byte is found by memchr
        properties and jsonguard.suspect(b"".join(properties))
    ):
        return None
    exposures = [e for e in events if type(e) is Exposure]
    tracks = [e for e in events if type(e) is Track]
    return Batch(size=len(events), exposure_rows=exposures, track_rows=tracks)


_TIMESTAMP = attrgetter("timestamp")
_PROPERTIES = attrgetter("properties")


def _decode_one_by_one(
    body: bytes, *, limits: IngestLimits
) -> tuple[list[WireEvent | None], list[Rejection]]:
    try:
        raws = msgspec.json.decode(body, type=_RawBatch).events
    except msgspec.ValidationError as exc:
        raise BatchRefused(_path("", str(exc)) or "events", _reason(str(exc))) from None
    _check_count(len(raws), limits)
    decoder = msgspec.json.Decoder(WireEvent)
    events: list[WireEvent | None] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raws):
        try:
            events.append(decoder.decode(raw))
        except msgspec.ValidationError as exc:
            events.append(None)
            rejected.append(
                Rejection(index, _path(f"events[{index}]", str(exc)), _reason(str(exc)))
            )
    return events, rejected


def _check_count(count: int, limits: IngestLimits) -> None:
    if count > limits.max_events:
        raise BatchRefused(
            "events",
            f"batch has {count} events; the limit is {limits.max_events}: split it",
            too_large=True,
        )


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")


def _path(prefix: str, message: str) -> str:
    """msgspec's ``... - at `$.unit``` becomes ``events[3].unit``."""
    match = _AT.search(message)
    path = prefix + (match.group("path") if match else "")
    missing = _MISSING.search(message)
    if missing:
        path += f".{missing.group('name')}"
    return path.removeprefix(".")


def _reason(message: str) -> str:
    return _AT.sub("", message)


def _check_and_fill(
    batch: Batch, events: list[WireEvent | None], *, latest: datetime, limits: IngestLimits
) -> None:
    _check_count(len(events), limits)
    rejected = batch.rejected
    for index, event in enumerate(events):
        if event is None:
            continue
        problem = _problem(event, latest, limits)
        if problem is not None:
            rejected.append(Rejection(index, f"events[{index}].{problem[0]}", problem[1]))
        elif event.type == "exposure":
            assert event.experiment is not None
            assert event.variant is not None
            batch.exposure_rows.append(
                Exposure(
                    id=event.id,
                    unit=event.unit,
                    timestamp=event.timestamp,
                    experiment=event.experiment,
                    variant=event.variant,
                    event=event.event,
                    value=event.value,
                    properties=event.properties,
                )
            )
        else:
            assert event.event is not None  # by _problem
            batch.track_rows.append(
                Track(
                    id=event.id,
                    unit=event.unit,
                    timestamp=event.timestamp,
                    event=event.event,
                    experiment=event.experiment,
                    variant=event.variant,
                    value=event.value,
                    properties=event.properties,
                )
            )


def _problem(event: WireEvent, latest: datetime, limits: IngestLimits) -> tuple[str, str] | None:
    """The first thing wrong with a decoded event, as (field, reason), or None."""
    if event.type == "exposure":
        if event.experiment is None:
            return "experiment", "an exposure needs the experiment key"
        if event.variant is None:
            return "variant", "an exposure needs the variant the unit was shown"
    elif event.event is None:
        return "event", "a track event needs the event name"
    if event.timestamp > latest:
        return "timestamp", (
            f"timestamp {event.timestamp.isoformat()} is more than "
            f"{limits.max_future_skew.total_seconds() / 3600:g} h ahead of the server clock; "
            "check the sender's clock"
        )
    if event.value is not None and not math.isfinite(event.value):
        return "value", "value must be a finite number"
    raw = bytes(event.properties)
    if raw:
        if len(raw) > limits.max_properties_bytes:
            return "properties", f"properties are larger than {limits.max_properties_bytes} bytes"
        if not raw.startswith(b"{"):
            return "properties", "properties must be a JSON object"
    return None
