"""Recognises an export sent again, as OTLP exporters do when a reply was lost or late: the same
bytes from the same environment. The receiver then answers as it did the first time (once the
first one is stored) instead of storing and pairing its spans twice, so the graph counts each
call once. The memory is bounded (``capacity`` exports, oldest forgotten first); each stored
export keeps its key, so after a restart the memory is filled again from the newest stored
exports (``seed``) and a resend that arrives then is still recognised. A first attempt that failed
to store is forgotten, so its retry goes through.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future

from orgloop.traces.models import IngestSummary

Key = bytes

#: About three minutes of exports at 50k spans/s in batches of 512, longer than the OTLP
#: exporters' retry window; ~0.5 KB each.
DEFAULT_CAPACITY = 16_384


def key_of(body: bytes, environment: str | None) -> Key:
    """What makes two exports the same: a SHA-256 of the environment and the bytes."""
    digest = hashlib.sha256((environment or "").encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.digest()


class RecentExports:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._items: dict[Key, tuple[IngestSummary, Future[None]]] = {}
        self._lock = threading.Lock()
        self.resent = 0

    def earlier(self, key: Key) -> tuple[IngestSummary, Future[None]] | None:
        """The first attempt's reply and commit, when this export was seen and not failed."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            _, committed = found
            if committed.done() and committed.exception() is not None:
                del self._items[key]
                return None
            self.resent += 1
            return found

    def seed(self, stored: list[tuple[Key, IngestSummary]]) -> None:
        """Remember exports stored before this process started (oldest first): their commit is
        long done."""
        done: Future[None] = Future()
        done.set_result(None)
        with self._lock:
            for key, summary in stored[-self._capacity :]:
                self._items.setdefault(key, (summary, done))

    def remember(self, key: Key, summary: IngestSummary, committed: Future[None]) -> None:
        with self._lock:
            self._items[key] = (summary, committed)
            while len(self._items) > self._capacity:
                del self._items[next(iter(self._items))]
