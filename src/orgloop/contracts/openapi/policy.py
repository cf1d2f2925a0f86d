"""The diff policy file: rule levels, ignores with reasons, sunset notice, stability threshold.

Example (YAML or JSON)::

    levels:                       # override a rule's default level
      response-property-enum-value-added: error
    ignore:                       # findings to drop; every entry says why
      - id: request-parameter-removed
        operation: GET /pets      # optional: only this operation
        path: /paths/~1pets/get   # optional: only findings under this JSON pointer
        reason: the parameter was never read by the server
    sunset-notice-days: {stable: 180, beta: 30}   # or one number for both
    stability-threshold: beta     # operations below it (alpha, draft) are not checked
    versioning: true              # api-version-not-bumped and friends
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orgloop.contracts.errors import PolicyInvalid
from orgloop.contracts.openapi.model import LEVELS, STABILITY_LEVELS, Change, Level, Settings
from orgloop.contracts.openapi.rules import RULES
from orgloop.kernel import yamlguard

_KEYS = {"levels", "ignore", "sunset-notice-days", "stability-threshold", "versioning"}


@dataclass(frozen=True, slots=True)
class Ignore:
    id: str
    reason: str
    operation: str | None = None
    path: str | None = None

    def matches(self, change: Change) -> bool:
        return (
            change.id == self.id
            and (self.operation is None or change.operation == self.operation)
            and (self.path is None or change.path.startswith(self.path))
        )


@dataclass(frozen=True, slots=True)
class Policy:
    levels: dict[str, Level] = field(default_factory=dict)
    ignore: tuple[Ignore, ...] = ()
    sunset_days_stable: int = 0
    sunset_days_beta: int = 0
    stability_threshold: str = "beta"
    versioning: bool = True

    def settings(self, *, today: dt.date | None = None) -> Settings:
        return Settings(
            today=today or dt.date.today(),
            sunset_days_stable=self.sunset_days_stable,
            sunset_days_beta=self.sunset_days_beta,
            stability_threshold=self.stability_threshold,
            versioning=self.versioning,
        )

    def apply(self, changes: list[Change]) -> list[Change]:
        """Drop ignored findings and set overridden levels."""
        kept = []
        for change in changes:
            if any(rule.matches(change) for rule in self.ignore):
                continue
            level = self.levels.get(change.id)
            kept.append(replace(change, level=level) if level else change)
        return kept


def load_policy(path: str | Path) -> Policy:
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yamlguard.load(text)
    except (OSError, UnicodeDecodeError, yamlguard.YamlRefused) as err:
        raise PolicyInvalid.at(str(path), f"cannot read policy: {err}") from err
    return parse_policy(data if data is not None else {}, source=str(path))


def parse_policy(data: Any, *, source: str = "policy") -> Policy:
    if not isinstance(data, dict):
        raise PolicyInvalid.at(source, "a policy must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise PolicyInvalid.at(
            f"{source}:{sorted(unknown)[0]}", f"unknown key; expected one of {sorted(_KEYS)}"
        )
    stable, beta = _days(data.get("sunset-notice-days", 0), source)
    threshold = data.get("stability-threshold", "beta")
    if threshold not in STABILITY_LEVELS:
        raise PolicyInvalid.at(
            f"{source}:stability-threshold", f"must be one of {list(STABILITY_LEVELS)}"
        )
    versioning = data.get("versioning", True)
    if not isinstance(versioning, bool):
        raise PolicyInvalid.at(f"{source}:versioning", "must be true or false")
    return Policy(
        levels=_levels(data.get("levels") or {}, source),
        ignore=tuple(_ignores(data.get("ignore") or [], source)),
        sunset_days_stable=stable,
        sunset_days_beta=beta,
        stability_threshold=threshold,
        versioning=versioning,
    )


def _levels(raw: Any, source: str) -> dict[str, Level]:
    if not isinstance(raw, dict):
        raise PolicyInvalid.at(f"{source}:levels", "must map rule ids to levels")
    levels: dict[str, Level] = {}
    for rule_id, level in raw.items():
        if rule_id not in RULES:
            raise PolicyInvalid.at(f"{source}:levels.{rule_id}", "unknown rule id")
        if level not in LEVELS:
            raise PolicyInvalid.at(
                f"{source}:levels.{rule_id}", f"level must be one of {list(LEVELS)}"
            )
        levels[rule_id] = level
    return levels


def _ignores(raw: Any, source: str) -> list[Ignore]:
    if not isinstance(raw, list):
        raise PolicyInvalid.at(f"{source}:ignore", "must be a list")
    found = []
    for i, entry in enumerate(raw):
        where = f"{source}:ignore[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise PolicyInvalid.at(where, "each entry needs an 'id'")
        if entry["id"] not in RULES:
            raise PolicyInvalid.at(f"{where}.id", f"unknown rule id {entry['id']!r}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyInvalid.at(f"{where}.reason", "every ignore needs a reason")
        extra = set(entry) - {"id", "reason", "operation", "path"}
        if extra:
            raise PolicyInvalid.at(f"{where}.{sorted(extra)[0]}", "unknown key")
        found.append(Ignore(entry["id"], reason, entry.get("operation"), entry.get("path")))
    return found


def _days(raw: Any, source: str) -> tuple[int, int]:
    where = f"{source}:sunset-notice-days"
    if isinstance(raw, bool):
        raise PolicyInvalid.at(where, "must be a number of days or {stable, beta}")
    if isinstance(raw, int):
        values = {"stable": raw, "beta": raw}
    elif isinstance(raw, dict) and set(raw) <= {"stable", "beta"}:
        values = {"stable": raw.get("stable", 0), "beta": raw.get("beta", 0)}
    else:
        raise PolicyInvalid.at(where, "must be a number of days or {stable, beta}")
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyInvalid.at(f"{where}.{key}", "must be a whole number of days >= 0")
    return values["stable"], values["beta"]
