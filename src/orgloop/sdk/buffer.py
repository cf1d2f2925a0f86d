"""A bounded, thread-safe buffer of events waiting to be sent.

When full, the newest event is dropped and counted (``dropped``): the events already waiting are
older and closer to being sent, and a host application must never block or grow without bound
because the event endpoint is slow or down. A batch the server could not take (it was away) goes
back in front with ``restore``, keeping its ids, so an outage delays events instead of losing them.

Exposures are the events an evaluation records, so they have their own path: a plain tuple
``(unit, experiment, variant, epoch seconds)`` appended without taking the lock (a deque append
is atomic in CPython), turned into the wire dict with its RFC 3339 timestamp only when taken for
sending. Two threads racing past the capacity check may each add one: the bound holds to within
the number of recording threads.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
Exposure = tuple[str, str, str, float]
"""``(unit, experiment, variant, time.time())``: an exposure as it waits in the buffer."""


class EventBuffer:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.dropped = 0
        self._items: deque[Event | Exposure] = deque()
        self._lock = threading.Lock()

    def add(self, event: Event) -> int:
        """Queue ``event``; how many events wait now, or 0 (and one more drop counted) when the
        buffer is full.  The count saves the caller a second trip through the lock."""
        with self._lock:
            items = self._items
            if len(items) >= self.capacity:
                self.dropped += 1
                return 0
            items.append(event)
            return len(items)

    def add_exposure(self, exposure: Exposure) -> int:
        """``add`` for an exposure tuple, without the lock (the hot path of evaluation)."""
        items = self._items
        if len(items) >= self.capacity:
            self.dropped += 1
            return 0
        items.append(exposure)
        return len(items)

    def take(self, limit: int) -> list[Event]:
        """Up to ``limit`` of the oldest events, removed from the buffer."""
        with self._lock:
            count = min(limit, len(self._items))
            taken = [self._items.popleft() for _ in range(count)]
        return [item if item.__class__ is dict else _exposure(item) for item in taken]  # type: ignore[arg-type]

    def restore(self, events: list[Event]) -> None:
        """Put events taken for sending back in front (the server was away), in their order.
        If newer events filled the buffer meanwhile, the newest beyond capacity are dropped."""
        with self._lock:
            items = self._items
            items.extendleft(reversed(events))
            while len(items) > self.capacity:
                items.pop()
                self.dropped += 1

    def snapshot(self) -> list[Event]:
        """Copies of the waiting events as they will be sent, oldest first; nothing is removed."""
        with self._lock:
            items = list(self._items)
        return [dict(item) if item.__class__ is dict else _exposure(item) for item in items]  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._items)


def _exposure(item: Exposure) -> Event:
    unit, experiment, variant, at = item
    return {
        "type": "exposure",
        "unit": unit,
        "experiment": experiment,
        "variant": variant,
        "timestamp": timestamp(at),
    }


_stamp: tuple[int, str] = (-1, "")


def timestamp(at: float | None = None) -> str:
    """``at`` (default now) in UTC, RFC 3339 with milliseconds; formatted once per millisecond
    (events come in bursts)."""
    global _stamp
    ms = time.time_ns() // 1_000_000 if at is None else int(at * 1000)
    last = _stamp  # one read: another thread may replace it meanwhile
    if last[0] != ms:
        moment = datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)
        last = _stamp = (ms, moment.isoformat(timespec="milliseconds"))
    return last[1]
