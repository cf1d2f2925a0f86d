"""A bounded, thread-safe buffer of events waiting to be sent.

When full, the newest event is dropped and counted (``dropped``): the events already waiting are
older and closer to being sent, and a host application must never block or grow without bound
because the event endpoint is slow or down.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

Event = dict[str, Any]


class EventBuffer:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.dropped = 0
        self._items: deque[Event] = deque()
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

    def take(self, limit: int) -> list[Event]:
        """Up to ``limit`` of the oldest events, removed from the buffer."""
        with self._lock:
            count = min(limit, len(self._items))
            return [self._items.popleft() for _ in range(count)]

    def put_back(self, events: list[Event]) -> None:
        """Return a batch that could not be sent to the front; what no longer fits is dropped."""
        with self._lock:
            room = max(self.capacity - len(self._items), 0)
            kept = events[:room]
            self.dropped += len(events) - len(kept)
            self._items.extendleft(reversed(kept))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
