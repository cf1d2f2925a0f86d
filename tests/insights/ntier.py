"""The N-tier example of docs/insights.md: its catalog and its capability-teams scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orgloop.insights.org import Org, org_from_descriptors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "insights"
CATALOG = EXAMPLES / "n-tier-catalog.yaml"
SCENARIO = EXAMPLES / "capability-teams.yaml"


def descriptors() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(CATALOG.read_text(encoding="utf-8")) if d]


def n_tier() -> Org:
    return org_from_descriptors(descriptors())


def scenario() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    return loaded
