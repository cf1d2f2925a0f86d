"""Test builders for the catalog: descriptors and import payloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orgloop.catalog.locations import load_paths
from orgloop.catalog.writer import entity_to_dict as descriptor_of

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop" / "catalog" / "catalog-info.yaml"


def shop_payload() -> list[dict[str, Any]]:
    """The demo shop's descriptors as ``catalog import`` sends them."""
    loaded = load_paths([SHOP])
    assert not loaded.issues, loaded.issues
    return [
        {"descriptor": descriptor_of(e), "file": e.source.file, "document": e.source.document}
        for e in loaded.entities
    ]


def component(name: str, owner: str, **spec: Any) -> dict[str, Any]:
    return {
        "descriptor": {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": name, "annotations": {"orgloop.dev/service-name": name}},
            "spec": {"type": "service", "lifecycle": "production", "owner": owner, **spec},
        },
        "file": f"{name}.yaml",
    }
