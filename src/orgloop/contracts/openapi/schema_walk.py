"""What the parts of the schema diff share: the ``Differ`` they recurse through, and ``nest``.

``schemas.SchemaDiffer`` walks a schema and hands its allOf/oneOf/anyOf branches to
``composition`` and its properties to ``properties``; they call back into it for each child
schema. Both sides depend on this module, not on each other.
"""

from __future__ import annotations

from typing import Any, Protocol

from orgloop.contracts.openapi.document import Document
from orgloop.contracts.openapi.model import Event, Settings, Site


class Differ(Protocol):
    """Compares the schemas of the base and the revision document (``schemas.SchemaDiffer``)."""

    base: Document
    rev: Document
    settings: Settings

    def diff(self, site: Site, base: Any, rev: Any) -> list[Event]:
        """Events for the change from ``base`` to ``rev`` (both raw, possibly ``$ref``)."""
        ...


def nest(out: list[Event], events: list[Event], name: str, pointer: str) -> None:
    """Add a child's events below ``name`` (property path) and ``pointer`` (JSON pointer)."""
    for rule_id, sub_pointer, subject, detail in events:
        out.append(
            (rule_id, pointer + sub_pointer, f"{name}/{subject}" if subject else name, detail)
        )
