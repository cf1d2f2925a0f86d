"""Stability levels (``x-stability-level``), deprecation and sunset dates (``x-sunset``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from orgloop.contracts.openapi.model import STABILITY_LEVELS, Settings

Outcome = Literal["deprecated", "with-sunset", "sunset-missing", "sunset-invalid", "too-small"]


class InvalidStability(ValueError):
    """An ``x-stability-level`` that is not one of draft, alpha, beta, stable."""


def stability_of(node: Any) -> str:
    """The node's declared stability, ``""`` when absent; raises InvalidStability."""
    value = node.get("x-stability-level") if isinstance(node, dict) else None
    if value is None:
        return ""
    if value not in STABILITY_LEVELS:
        raise InvalidStability(f"x-stability-level {value!r} is not one of {STABILITY_LEVELS}")
    return str(value)


def stability_rank(label: str) -> int:
    """draft < alpha < beta < stable; an undeclared level counts as stable."""
    return STABILITY_LEVELS.index(label or "stable")


def sunset_date(value: Any) -> dt.date:
    """Parse ``x-sunset`` as an RFC 3339 date or date-time; raises ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"sunset value {value!r} is not a string")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def deprecation_outcome(node: dict[str, Any], settings: Settings, stability: str) -> Outcome:
    """How a newly deprecated operation, parameter or property meets the sunset policy."""
    days = settings.sunset_days(stability or "stable")
    if "x-sunset" not in node:
        return "sunset-missing" if days > 0 else "deprecated"
    try:
        date = sunset_date(node["x-sunset"])
    except ValueError:
        return "sunset-invalid"
    if (date - settings.today).days < days:
        return "too-small"
    return "with-sunset"


def removed_before_sunset(node: dict[str, Any], settings: Settings) -> bool | None:
    """True when a deprecated item's sunset is still ahead, None when it cannot be parsed."""
    try:
        return settings.today < sunset_date(node["x-sunset"])
    except ValueError:
        return None
