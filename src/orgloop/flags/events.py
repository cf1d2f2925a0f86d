"""Facts the flags slice publishes on the bus (after the change committed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlagsChanged:
    """A flag changed; SDKs of these environments need a new ruleset."""

    key: str
    environments: tuple[str, ...]
    """Empty means every environment (a flag created, deleted or its default changed)."""
