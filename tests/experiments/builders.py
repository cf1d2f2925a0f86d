"""Builders of wire events for the experiments tests."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count()


def exposure(unit: str = "user-1", **fields: Any) -> dict[str, Any]:
    event = {
        "id": f"exp-{next(_ids)}",
        "type": "exposure",
        "unit": unit,
        "timestamp": "2025-12-31T12:00:00Z",
        "experiment": "checkout-redesign",
        "variant": "treatment",
    }
    return {**event, **fields}


def track(unit: str = "user-1", **fields: Any) -> dict[str, Any]:
    event = {
        "id": f"trk-{next(_ids)}",
        "type": "track",
        "unit": unit,
        "timestamp": "2025-12-31T13:00:00Z",
        "event": "purchase",
        "value": 12.5,
        "properties": {"currency": "EUR"},
    }
    return {**event, **fields}
