"""In-process event bus: lower slices publish facts, higher slices subscribe (wired in app.py)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class EventBus:
    """Synchronous publish/subscribe keyed by the event's class.

    Handlers run after the publishing transaction committed, in subscription order. A failing
    handler is logged and does not undo the publisher's committed change.
    """

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, event: object) -> None:
        for handler in self._handlers.get(type(event), []):
            try:
                handler(event)
            except Exception:
                log.exception("handler %r failed on %r", handler, event)
