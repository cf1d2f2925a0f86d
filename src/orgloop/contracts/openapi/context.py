"""The state of one diff run: both documents, the settings, the schema differ, the findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgloop.contracts.openapi.document import Document, escape
from orgloop.contracts.openapi.model import Change, Event, Settings
from orgloop.contracts.openapi.rules import RULES
from orgloop.contracts.openapi.schemas import SchemaDiffer

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation on both sides: its label (``GET /pets``), pointer and the two objects."""

    label: str
    pointer: str
    base: dict[str, Any]
    rev: dict[str, Any]
    stability: str
    # path parameters renamed in the revision's template, by position: revision name -> base name
    renamed: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def locate(method: str, path: str) -> tuple[str, str]:
        return f"{method.upper()} {path}", f"/paths/{escape(path)}/{method}"


class Context:
    def __init__(self, base: Document, rev: Document, settings: Settings) -> None:
        self.base = base
        self.rev = rev
        self.settings = settings
        self.schemas = SchemaDiffer(base, rev, settings)
        self.changes: list[Change] = []

    def emit(
        self, rule_id: str, *, operation: str, path: str, subject: str = "", detail: str = ""
    ) -> None:
        rule = RULES.get(rule_id)
        if rule is None:
            return
        message = f"{rule.description}: {subject}" if subject else rule.description
        if detail:
            message += f" ({detail})"
        self.changes.append(Change(rule_id, rule.level, operation, path, message))

    def emit_events(self, events: list[Event], *, operation: str, path: str, subject: str) -> None:
        """Schema events made absolute: ``subject`` names the schema (``request body``, ...)."""
        for rule_id, pointer, name, detail in events:
            full = f"{subject} property '{name}'" if name else subject
            self.emit(
                rule_id, operation=operation, path=path + pointer, subject=full, detail=detail
            )

    def node(self, doc: Document, value: Any) -> dict[str, Any]:
        """The referenced object, or an empty one when the value is not an object."""
        found = doc.deref(value)
        return found if isinstance(found, dict) else {}
