"""Read helpers over ``CatalogService`` that the pages share: one entity, many, all of a kind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orgloop.catalog.models import EntityDetail, EntitySummary
from orgloop.catalog.service import CatalogService, EntityFilter
from orgloop.kernel.errors import NotFound
from orgloop.web.links import link, ref_for

_PAGE = 500


class Reader:
    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog

    def detail(self, kind: str, name: str, *, noun: str, type: str | None = None) -> EntityDetail:
        """The entity a page's URL names, or NotFound saying what was looked for."""
        missing = NotFound(
            f"there is no {noun} named {name!r} in the catalog", details={"name": name}
        )
        if not name or any(c in name for c in ":/"):
            raise missing
        try:
            entity = self.catalog.get_entity(ref_for(kind, name))
        except NotFound:
            raise missing from None
        if type is not None and entity.type != type:
            raise NotFound(
                f"{name!r} is a {entity.kind} of type {entity.type!r}, not a {noun}",
                details={"name": name, "ref": entity.ref},
            )
        return entity

    def all(
        self, kind: str, *, type: str | None = None, owner: str | None = None
    ) -> list[EntitySummary]:
        """Every entity of a kind, paging through the service."""
        found: list[EntitySummary] = []
        while True:
            page = self.catalog.list_entities(
                EntityFilter(kind=kind, type=type, owner=owner), limit=_PAGE, offset=len(found)
            )
            found.extend(page.items)
            if not page.items or len(found) >= page.total:
                return found

    def count(self, kind: str, *, type: str | None = None) -> int:
        return self.catalog.list_entities(EntityFilter(kind=kind, type=type), limit=1).total

    def summaries(self, refs: Iterable[str]) -> dict[str, EntitySummary]:
        return self.catalog.get_many(refs)

    def links(self, refs: Iterable[str]) -> list[dict[str, Any]]:
        """Links to the entities, titled, sorted by title; unknown refs still get a link."""
        wanted = sorted(set(refs))
        known = self.summaries(wanted)
        found = [link(r, known.get(r)) for r in wanted]
        return sorted((f for f in found if f is not None), key=lambda f: str(f["title"]).lower())


def targets(entity: EntityDetail, relation: str) -> list[str]:
    """The refs an entity points at through one relation type, sorted."""
    return sorted({r.target for r in entity.relations if r.type == relation})


def summary_view(entity: EntitySummary) -> dict[str, Any]:
    """What every page shows about an entity, as plain JSON-able values."""
    return {
        "ref": entity.ref,
        "kind": entity.kind,
        "name": entity.name,
        "title": entity.title or entity.name,
        "description": entity.description,
        "type": entity.type,
        "lifecycle": entity.lifecycle,
        "tags": entity.tags,
    }
