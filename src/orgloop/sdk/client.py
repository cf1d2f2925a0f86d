"""``orgloop.sdk.Client``: evaluate flags locally, keep the ruleset fresh, send exposures and events.

Evaluation is pure CPU over an immutable compiled ruleset, so any thread or coroutine can call it
without locks or waits. Two daemon threads do the IO: the refresher (event stream, falling back
to polling with the ETag) and the sender (batches from a bounded buffer, retried with exponential
backoff). Nothing the server does, or fails to do, raises into the host application: the client
logs why and keeps serving the last good ruleset.
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from orgloop.flags.engine import Evaluator, Flag, Result, Ruleset, ruleset_from_dict
from orgloop.sdk.buffer import EventBuffer, timestamp
from orgloop.sdk.errors import SdkError
from orgloop.sdk.transport import Http, parse_sse, send_with_retry
from orgloop.sdk.variants import ACTIVE as TRACING
from orgloop.sdk.variants import SEEN

log = logging.getLogger("orgloop.sdk")

_CLIENTS: weakref.WeakSet[Client] = weakref.WeakSet()
_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})
_UNKNOWN = Evaluator(Ruleset()).evaluate("", {})
_MAX_EXPOSURE_KEYS = 100_000
FLUSH_TIMEOUT = 3.0
"""Seconds ``flush`` and ``close`` (and so the host's exit) wait at most for the server."""


class Client:
    """One per process (or per environment); thread-safe, fork-safe, asyncio-friendly."""

    _started: bool
    _closed: bool

    def __init__(
        self,
        *,
        url: str | None = None,
        sdk_key: str | None = None,
        environment: str | None = None,
        ruleset: Mapping[str, Any] | None = None,
        stream: bool = True,
        poll_interval: float = 30.0,
        flush_interval: float = 5.0,
        batch_size: int = 100,
        buffer_size: int = 100_000,
        send_attempts: int = 5,
        retry_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        init_timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Connect to ``url`` with ``sdk_key`` (or start ``ruleset``-only, offline).

        With a server, the constructor waits up to ``init_timeout`` seconds for the first ruleset
        (0: do not wait), so flags evaluate right after it returns; if none arrives in time, the
        client serves defaults until one does (see ``ready`` and ``wait_until_ready``).
        ``clock`` (epoch seconds) stamps events and exposures, e.g. a simulation's own time.
        """
        self.environment = environment
        self._now = clock  # epoch seconds of each event and exposure (a simulation's own time)
        self._url, self._sdk_key, self._transport, self._timeout = url, sdk_key, transport, timeout
        self._stream, self._poll_interval = stream, poll_interval
        self._flush_interval, self._batch_size = flush_interval, batch_size
        self._send_attempts, self._retry_delay = send_attempts, retry_delay
        self._max_retry_delay = max_retry_delay
        self._buffer_size = buffer_size
        self._evaluator = Evaluator(Ruleset(environment=environment or ""))
        self.etag: str | None = None
        self.ready = threading.Event()
        if ruleset is not None and self._install(ruleset, None, "bootstrap"):
            self.ready.set()
        self._reset_state()
        _CLIENTS.add(self)
        self._start()
        waits = init_timeout > 0 and self._http is not None and not self.ready.is_set()
        if waits and not self.ready.wait(init_timeout):
            log.warning("orgloop: no ruleset after %.1f s; serving defaults", init_timeout)

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> Client:
        """A client starting from a ruleset file (``orgloop`` payload JSON); offline without url."""
        data = json.loads(Path(path).read_text())
        return cls(
            ruleset=data, environment=options.pop("environment", data.get("environment")), **options
        )

    # -- evaluation (pure CPU, never blocks) ------------------------------------------------

    def evaluate(self, key: str, attributes: Mapping[str, Any] | None = None) -> Result:
        """The engine's result for one unit; records an exposure when an experiment assigns it."""
        if not self._started:
            self._start()
        # The hot path: one dictionary lookup and one call into the compiled flag.
        run = self._evaluator.functions.get(key)
        result = _UNKNOWN if run is None else run(attributes or _NO_ATTRIBUTES)
        if result.in_experiment:
            self._expose(result)
        if TRACING[0]:  # orgloop.sdk.instrument is in use: record for the request's span
            seen = SEEN.get()
            if seen is not None:
                seen.append((key, result))
        return result

    def get_value(
        self, key: str, default: Any = None, attributes: Mapping[str, Any] | None = None
    ) -> Any:
        # ``evaluate`` written out: one Python call less on the path services call most.
        if not self._started:
            self._start()
        run = self._evaluator.functions.get(key)
        result = _UNKNOWN if run is None else run(attributes or _NO_ATTRIBUTES)
        if result.in_experiment:
            self._expose(result)
        if TRACING[0]:  # orgloop.sdk.instrument is in use: record for the request's span
            seen = SEEN.get()
            if seen is not None:
                seen.append((key, result))
        value = result.value
        return default if value is None else value

    def is_on(self, key: str, attributes: Mapping[str, Any] | None = None) -> bool:
        if not self._started:
            self._start()
        run = self._evaluator.functions.get(key)
        result = _UNKNOWN if run is None else run(attributes or _NO_ATTRIBUTES)
        if result.in_experiment:
            self._expose(result)
        if TRACING[0]:  # orgloop.sdk.instrument is in use: record for the request's span
            seen = SEEN.get()
            if seen is not None:
                seen.append((key, result))
        return result.on

    def flag(self, key: str) -> Flag | None:
        """The flag as the current ruleset holds it (None when unknown)."""
        return self._evaluator.ruleset.flags.get(key)

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Block until a ruleset is loaded (only at start-up, never from an event loop)."""
        if not self._started:
            self._start()
        return self.ready.wait(timeout)

    # -- events -----------------------------------------------------------------------------

    def track(
        self,
        event: str,
        unit: str,
        value: float | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue a metric event for ``unit``; sent in the background in batches."""
        item: dict[str, Any] = {"type": "track", "event": event, "unit": str(unit)}
        if value is not None:
            item["value"] = value
        if properties:
            item["properties"] = dict(properties)
        self._enqueue(item)

    def exposures(self) -> list[dict[str, Any]]:
        """The exposures recorded and not yet sent, oldest first (``unit``, ``experiment``,
        ``variant``, ``timestamp``): for an offline client, every exposure since the last
        ``take_events``. Each unit is recorded once per experiment and variant."""
        return [e for e in self._buffer.snapshot() if e["type"] == "exposure"]

    def take_events(self) -> list[dict[str, Any]]:
        """Remove and return every queued event (exposures and ``track`` events), oldest first:
        how an offline client hands what it recorded to the host's own pipeline."""
        return self._buffer.take(len(self._buffer))

    @property
    def dropped(self) -> int:
        """Events dropped because the buffer was full or the server refused them."""
        return self._buffer.dropped + self._failed

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Send everything queued now, in this thread, for at most ``timeout`` seconds.

        True when everything went out; False when time ran out or the server is away, and what
        was not sent stays queued (the sender keeps trying)."""
        deadline = time.monotonic() + timeout
        while True:
            batch = self._buffer.take(self._batch_size)
            if not batch:
                return True
            if not self._send(batch, stop=_sleep, deadline=deadline):
                return False

    async def aflush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """``flush`` for asyncio code: runs in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.flush, timeout)

    def close(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Stop background work and send what is queued, for at most ``timeout`` seconds in all
        (also at interpreter exit, so a silent or absent server never holds the host's exit).
        True when everything queued was sent; the client keeps evaluating."""
        if self._closed:
            return len(self._buffer) == 0
        deadline = time.monotonic() + timeout
        self._closed = True
        self._stop.set()
        self._wake.set()
        # The refresher may sit in a stream read; it is a daemon and stops at its next wake-up.
        for thread in self._threads:
            if thread.name.endswith("send") and thread is not threading.current_thread():
                thread.join(timeout=max(deadline - time.monotonic(), 0))
        sent = self.flush(max(deadline - time.monotonic(), 0))
        if self._http is not None:
            self._http.close()
        return sent

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- state, start-up and fork -----------------------------------------------------------

    def _reset_state(self) -> None:
        """Fresh locks, buffer and threads: at construction, and in a forked child."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._buffer = EventBuffer(self._buffer_size)
        self._seen: set[tuple[str | None, str, int | None]] = set()
        self._id_prefix = uuid.uuid4().hex[:20]
        self._id_counter = itertools.count()
        self._failed = 0
        self._threads: list[threading.Thread] = []
        self._http: Http | None = None
        self._started = False
        self._closed = False

    def _start(self) -> None:
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            if self._url and self._sdk_key:
                self._http = Http(
                    self._url,
                    self._sdk_key,
                    environment=self.environment,
                    timeout=self._timeout,
                    transport=self._transport,
                )
                self._spawn(self._refresh_loop, "orgloop-sdk-refresh")
                self._spawn(self._send_loop, "orgloop-sdk-send")

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _after_fork(self) -> None:
        # Threads do not survive a fork and locks may be held by a thread that no longer
        # exists; the child starts over and restarts its own background work when first used.
        self._reset_state()

    # -- the ruleset ------------------------------------------------------------------------

    def _install(self, payload: Any, etag: str | None, origin: str) -> bool:
        try:
            evaluator = Evaluator(ruleset_from_dict(payload))
        except Exception as exc:  # a bad payload must never replace a good ruleset
            log.warning("ignoring the %s ruleset, keeping the last good one: %s", origin, exc)
            return False
        self._evaluator, self.etag = evaluator, etag
        return True

    def _refresh(self) -> None:
        assert self._http is not None
        try:
            fetched = self._http.fetch_ruleset(self.etag)
        except SdkError as exc:
            if not self._stop.is_set():  # closing cuts the request short: nothing to report
                log.warning("orgloop ruleset not refreshed, serving the last good one: %s", exc)
            return
        if fetched is not None and self._install(fetched[0], fetched[1], "server"):
            self.ready.set()

    def _refresh_loop(self) -> None:
        self._survive(self._refresh)
        while not self._stop.is_set():
            if self._stream:
                self._survive(self._follow_stream)
            if self._stop.wait(self._poll_interval):
                return
            self._survive(self._refresh)

    def _survive(self, step: Callable[[], None]) -> None:
        """Run one step of a background loop: whatever a payload or a server does (a body nested
        past the recursion limit, a broken stream), the thread lives on with what it has."""
        try:
            step()
        except Exception as exc:
            if not self._stop.is_set():
                log.warning("orgloop %s failed, carrying on: %r", step.__name__, exc)

    def _follow_stream(self) -> None:
        """Refresh on each ``ruleset`` event until the stream breaks (then polling takes over)."""
        assert self._http is not None
        try:
            for event, data in self._http.stream(read_timeout=max(self._poll_interval, 45.0)):
                if self._stop.is_set():
                    return
                if event == "ruleset" and _etag(data) != self.etag:
                    self._refresh()
        except SdkError as exc:
            if not self._stop.is_set():
                log.info("orgloop event stream unavailable, polling instead: %s", exc)

    # -- sending ----------------------------------------------------------------------------

    def _expose(self, result: Result) -> None:
        # Runs on every assigned evaluation: a set lookup for the units already exposed; a
        # first exposure is one tuple appended to the buffer (no dict, no formatted time).
        unit = result.hash_value
        if unit.__class__ is not str:
            unit = str(unit)
        key = result.experiment_key
        seen = (key, unit, result.variation_id)
        exposed = self._seen
        before = len(exposed)
        exposed.add(seen)  # one hash of the key; a race at worst sends a harmless duplicate
        if len(exposed) == before:
            return
        if before >= _MAX_EXPOSURE_KEYS:
            exposed.clear()  # bounded memory; a repeated exposure is harmless downstream
            exposed.add(seen)
        experiment = key if key.__class__ is str else str(key)
        variant = result.variation_key or str(result.variation_id)
        # Wake the sender once per batch (and on each drop when full), not on every exposure.
        if (
            not self._buffer.add_exposure((unit, experiment, variant, self._now()))
            % self._batch_size
        ):
            self._wake.set()

    def _enqueue(self, item: dict[str, Any]) -> None:
        item["timestamp"] = timestamp(self._now())  # the id is given when the event is first sent
        if not self._started:
            self._start()
        # Wake the sender once per batch, not on every event while it is already due.
        if self._buffer.add(item) >= self._batch_size and not self._wake.is_set():
            self._wake.set()

    def _send(
        self,
        batch: list[dict[str, Any]],
        stop: Callable[[float], bool] | None = None,
        deadline: float | None = None,
    ) -> bool:
        """Send one batch; False when the server was away (or time ran out) and the batch went
        back to the front of the buffer, ids kept, to be sent again later."""
        if self._http is None:
            self._failed += len(batch)  # offline: nowhere to send
            return True
        # Ids are given once, before the first attempt, so retries stay idempotent. A random
        # per-client prefix and a counter: unique without a uuid4 (a system call) per event.
        for item in batch:
            if "id" not in item:
                item["id"] = f"{self._id_prefix}{next(self._id_counter):012x}"
        outcome = send_with_retry(
            self._http.send_events,
            batch,
            attempts=self._send_attempts,
            base_delay=self._retry_delay,
            stop=stop or self._stop.wait,
            deadline=deadline,
        )
        if outcome in ("unreachable", "interrupted"):
            # The same ids go again: the server keeps one copy of an event it already stored.
            self._buffer.restore(batch)
            return False
        if outcome != "sent":
            self._failed += len(batch)
            log.warning("orgloop dropped %d events: %s", len(batch), outcome)
        return True

    def _send_loop(self) -> None:
        away = 0  # rounds in a row that found the server away
        while not self._stop.is_set():
            if away:
                # Back off (not woken by new events) until the server is back.
                delay = min(self._retry_delay * 2**away, self._max_retry_delay)
                if self._stop.wait(delay * random.uniform(0.5, 1.0)):
                    return
            else:
                self._wake.wait(self._flush_interval)
            self._wake.clear()
            away = away + 1 if not self._send_queued() else 0

    def _send_queued(self) -> bool:
        """Send batches until the buffer is empty (True) or the server is away (False)."""
        try:
            while not self._stop.is_set():
                batch = self._buffer.take(self._batch_size)
                if not batch:
                    return True
                if not self._send(batch):
                    return False
        except Exception as exc:  # the sender must outlive anything, as the refresher does
            log.warning("orgloop sender failed, carrying on: %r", exc)
            return False
        return True


def _sleep(delay: float) -> bool:
    """An explicit flush keeps retrying even while the client closes."""
    time.sleep(delay)
    return False


def _etag(data: str) -> str | None:
    try:
        value = json.loads(data).get("etag")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _reset_all_after_fork() -> None:
    for client in list(_CLIENTS):
        client._after_fork()


def _close_all() -> None:
    for client in list(_CLIENTS):
        try:
            client.close()
        except Exception:  # at exit, one client's failure must not stop the others
            log.exception("closing an orgloop client at exit failed")


os.register_at_fork(after_in_child=_reset_all_after_fork)
atexit.register(_close_all)

__all__ = ["Client", "parse_sse"]
