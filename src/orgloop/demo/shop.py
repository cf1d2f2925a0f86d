"""The demo organisation: 5 teams, 11 services and 3 capabilities from ``examples/shop/catalog``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orgloop.catalog.client import CatalogClient, descriptor_payload
from orgloop.catalog.locations import load_paths
from orgloop.catalog.writer import entity_to_dict as descriptor_of
from orgloop.kernel.client import ApiClient

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "shop"


def import_shop(api: ApiClient) -> dict[str, Any]:
    """Import the shop's descriptors through the catalog API (all or nothing)."""
    loaded = load_paths([EXAMPLES / "catalog" / "catalog-info.yaml"])
    if loaded.issues:
        raise SystemExit("the demo descriptors are invalid:\n" + "\n".join(map(str, loaded.issues)))
    items = [descriptor_payload(e, descriptor_of(e)) for e in loaded.entities]
    return CatalogClient(api).import_descriptors(items, prune=False, dry_run=False)
