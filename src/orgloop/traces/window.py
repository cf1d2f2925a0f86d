"""Reads a window start as people write it: ``15m``, ``1h``, ``7d`` ago, or an ISO 8601 time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orgloop.kernel.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str | None, *, field: str = "since") -> datetime | timedelta | None:
    """``None`` for the default window; a ``timedelta`` for a duration; else an aware datetime."""
    if text is None or not text.strip():
        return None
    match = _DURATION.match(text)
    if match:
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.at(
            field, f"{text!r} is neither a duration (15m, 1h, 7d) nor an ISO 8601 time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_until(text: str | None) -> datetime | None:
    """An ISO 8601 window end, or None for now."""
    moment = parse_since(text, field="until")
    if isinstance(moment, timedelta):
        raise InvalidInput.at("until", "must be an ISO 8601 time, not a duration")
    return moment
