"""The audit log as the ``orgloop audit`` table shows it: the kinds of resource recorded, and a
compact before/after diff per entry (``created``, ``deleted`` or ``field: old -> new``)."""

from __future__ import annotations

import json
from typing import Any

from orgloop.kernel.errors import InvalidInput

#: Every ``resource_kind`` the slices record (catalog entities of every kind are ``entity``).
KINDS = (
    "entity",
    "token",
    "flag",
    "saved_group",
    "experiment",
    "api_version",
    "contract",
    "verification",
    "deployment",
    "environment",
)
_WIDTH = 24
_FIELDS = 3


def check_kind(kind: str | None) -> str | None:
    """``kind`` when it is one the log records; else an error listing those it does."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput.at("--kind", f"{kind!r} is not recorded; use one of {', '.join(KINDS)}")
    return kind


def change(before: Any, after: Any) -> str:
    """What an entry changed, in one short line."""
    if before is None and after is None:
        return "-"
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"{_short(before)} -> {_short(after)}"
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    if not keys:
        return "no change"
    parts = [f"{k}: {_short(before.get(k))} -> {_short(after.get(k))}" for k in keys[:_FIELDS]]
    more = len(keys) - _FIELDS
    return "; ".join(parts) + (f"; +{more} more" if more > 0 else "")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."
