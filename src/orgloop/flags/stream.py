"""Server-sent events for SDKs: a broadcaster that wakes each stream when its ruleset changed.

Bus handlers run in whatever thread committed the change (a worker thread of the server), while
streams wait on the event loop; ``call_soon_threadsafe`` is the bridge. A stream only learns
*that* something changed and then compares ETags, so bursts of changes collapse into one event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager

from orgloop.flags.events import FlagsChanged

HEARTBEAT_SECONDS = 15.0


class Subscription:
    """One open stream of one environment, bound to the event loop that serves it."""

    def __init__(self, environment: str, loop: asyncio.AbstractEventLoop) -> None:
        self.environment = environment
        self._loop = loop
        self._changed = asyncio.Event()

    def notify(self) -> None:
        # A closed loop means the stream is gone; nothing to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._changed.set)

    async def wait(self, timeout: float) -> bool:
        """True when a change arrived within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class Broadcaster:
    """Fans ``FlagsChanged`` out to the open streams of the affected environments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()

    def on_flags_changed(self, event: FlagsChanged) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for sub in subscriptions:
            if not event.environments or sub.environment in event.environments:
                sub.notify()

    @contextmanager
    def subscribe(self, environment: str) -> Iterator[Subscription]:
        """Call from the event loop that will wait on the subscription."""
        sub = Subscription(environment, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(sub)
        try:
            yield sub
        finally:
            with self._lock:
                self._subscriptions.discard(sub)


def ruleset_event(etag: str) -> str:
    return f"event: ruleset\ndata: {json.dumps({'etag': etag})}\n\n"


async def ruleset_events(
    broadcaster: Broadcaster,
    environment: str,
    current_etag: Callable[[], Awaitable[str]],
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """The stream: the current ETag at once, then one event per new ETag, heartbeats between."""
    with broadcaster.subscribe(environment) as sub:
        last = await current_etag()
        yield "retry: 3000\n" + ruleset_event(last)
        while True:
            if not await sub.wait(heartbeat):
                yield ": heartbeat\n\n"
                continue
            etag = await current_etag()
            if etag != last:
                last = etag
                yield ruleset_event(etag)
