"""Facts the catalog publishes for higher slices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogChanged:
    """Entities were created, updated or removed (refs in ``kind:namespace/name`` form)."""

    changed: tuple[str, ...]
    removed: tuple[str, ...]
