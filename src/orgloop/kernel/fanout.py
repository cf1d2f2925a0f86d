"""Fan-out across replicas: chosen bus events travel through PostgreSQL NOTIFY/LISTEN.

A replica announces an event with ``EventBus.announce`` inside the transaction of the change;
``Fanout.notify`` adds ``pg_notify`` to that transaction, so PostgreSQL delivers the event to every
listening replica when, and only if, the change commits. Each replica keeps one connection of its
own that LISTENs and republishes what other replicas announced on its local bus. While that
connection is down, nothing is heard; on reconnecting each relayed type's ``gap`` event is
published ("something may have changed"), so streams re-check and caches start afresh.

PostgreSQL rather than a broker (Redis, NATS): replicas already share the database, and NOTIFY
is transactional, which a broker beside the database cannot be.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from orgloop.kernel.bus import EventBus

log = logging.getLogger(__name__)

CHANNEL = "orgloop_events"
_WAKE_SECONDS = 0.5  # how often the listening thread looks whether it should stop
MAX_PAYLOAD = 7900
"""PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; a larger event travels as its gap."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Relayed:
    type: type
    gap: Callable[[], object] | None


class Fanout:
    """One replica's link to the others: encodes announced events, listens for theirs."""

    def __init__(self, *, url: str, bus: EventBus, reconnect_seconds: float = 1.0) -> None:
        self.replica = uuid.uuid4().hex[:12]
        self._conninfo = _conninfo(url)
        self._bus = bus
        self._relayed: dict[str, _Relayed] = {}
        self._reconnect = reconnect_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()
        """Set while this replica hears the others (for readiness checks and tests)."""

    def relay(self, event_type: type, *, gap: Callable[[], object] | None = None) -> None:
        """Carry ``event_type`` (a dataclass of JSON-able fields) to every replica; ``gap``
        builds the event published when some may have been missed (or one was too large)."""
        self._relayed[event_type.__name__] = _Relayed(event_type, gap)

    # -- sending -------------------------------------------------------------------------------

    def notify(self, session: Session, event: object) -> None:
        """Add the event's NOTIFY to ``session``'s transaction (``EventBus.send_through``)."""
        name = type(event).__name__
        relayed = self._relayed.get(name)
        if relayed is None or relayed.type is not type(event):
            return
        body = {"o": self.replica, "t": name, "e": dataclasses.asdict(event)}  # type: ignore[call-overload]
        payload = json.dumps(body, separators=(",", ":"))
        if len(payload.encode()) > MAX_PAYLOAD:
            payload = json.dumps({"o": self.replica, "t": name, "e": None})
        session.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)))

    # -- listening -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="orgloop-fanout", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop listening; the thread leaves within ``_WAKE_SECONDS`` and closes its connection."""
        self._stopping.set()

    def _run(self) -> None:
        first = True
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if not first:
                        self._gap()
                    first = False
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=_WAKE_SECONDS):
                            self._receive(note.payload)
            except psycopg.Error as exc:
                log.warning("not hearing other replicas (%s); retrying", exc.__class__.__name__)
            self.listening.clear()
            first = False
            self._stopping.wait(self._reconnect)

    def _receive(self, payload: str) -> None:
        try:
            body = json.loads(payload)
            relayed = self._relayed.get(body["t"])
            if relayed is None or body["o"] == self.replica:
                return  # not ours to relay, or our own: published here after its commit
            event = _decode(relayed, body["e"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable announcement: %.200s", payload)
            return
        if event is not None:
            self._bus.publish(event)

    def _gap(self) -> None:
        for relayed in self._relayed.values():
            if relayed.gap is not None:
                self._bus.publish(relayed.gap())


def _decode(relayed: _Relayed, fields: dict[str, Any] | None) -> object | None:
    if fields is None:
        return relayed.gap() if relayed.gap is not None else None
    # Fields this release does not know (sent by a newer one) are left out; JSON has no tuples,
    # and the events' sequence fields are tuples (frozen, hashable).
    known = {f.name for f in dataclasses.fields(relayed.type)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k in known}
    event: object = relayed.type(**values)
    return event


def _conninfo(url: str) -> str:
    """psycopg's connection string from the SQLAlchemy URL of the same database."""
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
