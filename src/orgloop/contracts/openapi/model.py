"""The values the diff engine works with: findings, settings and schema sites."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")
LEVEL_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}

STABILITY_LEVELS = ("draft", "alpha", "beta", "stable")


@dataclass(frozen=True, slots=True)
class Change:
    """One finding: a rule id, its level, the operation (``GET /pets/{id}``) and a JSON pointer."""

    id: str
    level: Level
    operation: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "level": self.level,
            "operation": self.operation,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Settings:
    """What the rules need beyond the two documents (filled from a policy)."""

    today: dt.date = field(default_factory=dt.date.today)
    sunset_days_stable: int = 0
    sunset_days_beta: int = 0
    stability_threshold: str = "beta"
    versioning: bool = True

    def sunset_days(self, stability: str) -> int:
        """Minimum days between deprecation and sunset for an operation of this stability."""
        if stability in ("draft", "alpha"):
            return 0
        return self.sunset_days_beta if stability == "beta" else self.sunset_days_stable


Event = tuple[str, str, str, str]
"""A schema finding relative to where the schema sits: (rule id, pointer, subject, detail)."""


@dataclass(frozen=True, slots=True)
class Site:
    """Where a schema sits, which decides the rule ids its changes get.

    ``kind`` is ``body`` (a media type's schema), ``property`` (anything below it),
    ``parameter``, ``parameter-property`` or ``header`` (a response header's schema).
    """

    direction: Literal["request", "response"]
    kind: str
    stability: str = "stable"
    read_only: bool = False
    write_only: bool = False
    strongly_typed: bool = True

    def below(self, *, read_only: bool = False, write_only: bool = False) -> Site:
        kind = {"body": "property", "parameter": "parameter-property"}.get(self.kind, self.kind)
        return replace(self, kind=kind, read_only=read_only, write_only=write_only)

    @property
    def prefix(self) -> str:
        return {
            "body": f"{self.direction}-body",
            "property": f"{self.direction}-property",
            "parameter": "request-parameter",
            "parameter-property": "request-parameter-property",
            "header": "response-header",
        }[self.kind]
