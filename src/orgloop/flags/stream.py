"""Server-sent events for SDKs: a broadcaster that wakes each stream when its ruleset changed.

Bus handlers run in whatever thread committed the change (a worker thread of the server, or the
thread that hears other replicas), while streams wait on the event loop; ``call_soon_threadsafe``
is the bridge. A stream only learns *that* something changed and then compares ETags, so bursts of
changes collapse into one event. The streams of one environment share one ETag computation per
change (``Broadcaster.etag``): thousands of open streams cost one ruleset read, not thousands.
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
        self._generation = 0  # changes heard so far
        self._etags: dict[str, tuple[int, asyncio.Task[str]]] = {}

    def on_flags_changed(self, event: FlagsChanged) -> None:
        with self._lock:
            self._generation += 1
            subscriptions = list(self._subscriptions)
        for sub in subscriptions:
            if not event.environments or sub.environment in event.environments:
                sub.notify()

    async def etag(self, environment: str, compute: Callable[[], Awaitable[str]]) -> str:
        """The environment's current ETag, computed once for all streams that ask between two
        changes heard (call from the event loop; ``compute`` reads it afresh)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            generation = self._generation
            entry = self._etags.get(environment)
        if entry is None or entry[0] != generation or entry[1].get_loop() is not loop:
            task = loop.create_task(_call(compute))
            task.add_done_callback(lambda done: self._forget_failed(environment, done))
            entry = (generation, task)
            with self._lock:
                self._etags[environment] = entry
        return await asyncio.shield(entry[1])

    def _forget_failed(self, environment: str, task: asyncio.Task[str]) -> None:
        if task.cancelled() or task.exception() is not None:
            with self._lock:
                if self._etags.get(environment, (0, None))[1] is task:
                    del self._etags[environment]

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


async def _call(compute: Callable[[], Awaitable[str]]) -> str:
    return await compute()


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
        last = await broadcaster.etag(environment, current_etag)
        yield "retry: 3000\n" + ruleset_event(last)
        while True:
            if not await sub.wait(heartbeat):
                yield ": heartbeat\n\n"
                continue
            etag = await broadcaster.etag(environment, current_etag)
            if etag != last:
                last = etag
                yield ruleset_event(etag)
