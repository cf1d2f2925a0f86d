"""In-process event bus: lower slices publish facts, higher slices subscribe (wired in app.py).

With several replicas on one PostgreSQL database, ``announce`` also tells every other replica
(see ``kernel/fanout.py``): the announcement rides in the change's own transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]
Outbound = Callable[[Session, object], None]

_ANNOUNCED = "orgloop_announced"
_LISTENING = "orgloop_announcing"


class EventBus:
    """Synchronous publish/subscribe keyed by the event's class.

    Handlers run after the publishing transaction committed, in subscription order. A failing
    handler is logged and does not undo the publisher's committed change.
    """

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._outbound: Outbound | None = None

    def subscribe(self, event_type: type, handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, event: object) -> None:
        for handler in self._handlers.get(type(event), []):
            try:
                handler(event)
            except Exception:
                log.exception("handler %r failed on %r", handler, event)

    def send_through(self, outbound: Outbound) -> None:
        """Where ``announce`` also sends events: another replica's bus (set in ``app.py``)."""
        self._outbound = outbound

    def announce(self, session: Session, event: object) -> None:
        """Publish ``event`` here once ``session``'s transaction commits, and to every replica.

        Call it inside the transaction that makes the change: the other replicas hear of it when,
        and only if, the change commits (PostgreSQL delivers a NOTIFY at commit, drops it at
        rollback); this process's handlers run right after the commit, as ``publish`` would.
        """
        if self._outbound is not None:
            self._outbound(session, event)
        if not session.info.get(_LISTENING):
            session.info[_LISTENING] = True
            sa.event.listen(session, "after_commit", self._after_commit)
            sa.event.listen(session, "after_rollback", self._after_rollback)
        session.info.setdefault(_ANNOUNCED, []).append(event)

    def _after_commit(self, session: Session) -> None:
        for event in session.info.pop(_ANNOUNCED, []):
            self.publish(event)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_ANNOUNCED, None)
