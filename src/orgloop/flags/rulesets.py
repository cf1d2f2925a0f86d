"""The compiled ruleset of each environment, read once per change instead of once per request.

SDK polls, the GrowthBook endpoint and every OFREP evaluation need an environment's ruleset; reading
it means reading every flag and the saved groups its rules name (milliseconds, growing with the
flags). The cache keeps each environment's payload until a ``FlagsChanged`` is heard: this
replica's own changes once committed, another replica's through the PostgreSQL fan-out (which
announces a blanket change when it may have missed one). A change made without any announcement
(another process writing the database directly) is picked up within ``MAX_AGE`` seconds at most.

A read that started before a change was heard is not kept: each read records the generation of
changes it began under, and an entry counts only while no change has been heard since.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from orgloop.flags.events import FlagsChanged

MAX_AGE = 5.0
"""Seconds an environment's ruleset is served without a read, whatever was heard."""

Payload = tuple[dict[str, Any], str]
"""The compiled payload (never changed by its readers: it is shared) and its strong ETag."""


class RulesetCache:
    def __init__(
        self, read: Callable[[str], Payload], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._read = read
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0  # changes heard so far
        self._entries: dict[str, tuple[int, float, Payload]] = {}

    def on_flags_changed(self, _event: FlagsChanged) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, environment: str) -> Payload:
        now = self._clock()
        with self._lock:
            generation = self._generation
            entry = self._entries.get(environment)
        if entry is not None and entry[0] == generation and now - entry[1] < MAX_AGE:
            return entry[2]
        payload = self._read(environment)
        with self._lock:
            if self._generation == generation:  # nothing changed while reading
                self._entries[environment] = (generation, now, payload)
        return payload
