"""Facts the traces slice publishes for others (subscriptions are wired in ``app.py``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnknownServiceSeen:
    """Spans arrived from a ``service.name`` no catalog Component claims (published once per
    name per server process)."""

    service: str
