"""An entity back to its descriptor: what the server stores and ``catalog export`` writes."""

from __future__ import annotations

from typing import Any

from orgloop.catalog.entities import Entity


def descriptor_of(entity: Entity) -> dict[str, Any]:
    """The descriptor as stored and exported: envelope, metadata without empty fields, spec."""
    meta = entity.metadata
    metadata: dict[str, Any] = {"name": meta.name, "namespace": meta.namespace}
    for key in ("title", "description"):
        if getattr(meta, key):
            metadata[key] = getattr(meta, key)
    for key in ("labels", "annotations", "tags", "links"):
        if getattr(meta, key):
            metadata[key] = getattr(meta, key)
    metadata.update(meta.extra)
    return {
        "apiVersion": entity.api_version,
        "kind": entity.kind,
        "metadata": metadata,
        "spec": entity.spec,
    }
