"""The catalog's REST resources (thin: parse, call the service, return its models)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from orgloop.catalog.errors import EntityNotFound
from orgloop.catalog.models import (
    DescriptorIn,
    EntityDetail,
    EntityPage,
    ImportReport,
    ImportRequest,
)
from orgloop.catalog.service import COLLECTIONS, CatalogService, EntityFilter, entity_etag
from orgloop.kernel.http import ETAG_RESPONSES, IF_MATCH_RESPONSES, Caller, IfMatch, Offset

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]


def build_router(*, catalog: CatalogService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["catalog"])

    @router.post("/catalog/import")
    def import_catalog(body: ImportRequest, caller: Caller) -> ImportReport:
        """Import descriptors in one transaction: all land or none; re-importing is idempotent."""
        return catalog.import_catalog(body, actor=caller)

    @router.get("/catalog/export")
    def export_catalog(caller: Caller) -> list[dict[str, Any]]:
        """Every entity as a Backstage descriptor."""
        caller.require_read()
        return catalog.export_descriptors()

    @router.get("/catalog/entities")
    def list_entities(
        caller: Caller,
        kind: str | None = None,
        type: str | None = None,
        owner: str | None = None,
        system: str | None = None,
        lifecycle: str | None = None,
        q: Annotated[str | None, Query(description="Name contains.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EntityPage:
        caller.require_read()
        filters = EntityFilter(
            kind=kind, type=type, owner=owner, system=system, lifecycle=lifecycle, search=q
        )
        return catalog.list_entities(filters, limit=limit, offset=offset)

    @router.get("/catalog/entities/{kind}/{namespace}/{name}", responses=ETAG_RESPONSES)
    def get_entity(
        kind: str, namespace: str, name: str, caller: Caller, response: Response
    ) -> EntityDetail:
        """The entity, with its ``ETag``: send it back as ``If-Match`` to replace it safely."""
        caller.require_read()
        detail = catalog.get_entity(f"{kind}:{namespace}/{name}")
        response.headers["ETag"] = entity_etag(detail)
        return detail

    @router.put("/catalog/entities", responses=IF_MATCH_RESPONSES)
    def put_entity(
        body: DescriptorIn, caller: Caller, response: Response, if_match: IfMatch = None
    ) -> EntityDetail:
        """Create or replace one entity from its descriptor (``If-Match``: only if unchanged)."""
        detail = catalog.put_entity(body, actor=caller, if_match=if_match)
        response.headers["ETag"] = entity_etag(detail)
        return detail

    @router.delete("/catalog/entities/{kind}/{namespace}/{name}", status_code=204)
    def delete_entity(kind: str, namespace: str, name: str, caller: Caller) -> None:
        catalog.delete_entity(f"{kind}:{namespace}/{name}", actor=caller)

    for collection, (kind, type_) in COLLECTIONS.items():
        _add_collection(router, catalog, collection, kind, type_)
    return router


def _add_collection(
    router: APIRouter, catalog: CatalogService, collection: str, kind: str, type_: str | None
) -> None:
    noun = collection.rstrip("s") if collection != "people" else "person"

    def list_collection(
        caller: Caller,
        owner: str | None = None,
        system: str | None = None,
        lifecycle: str | None = None,
        q: Annotated[str | None, Query(description="Name contains.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EntityPage:
        caller.require_read()
        filters = EntityFilter(
            kind=kind, type=type_, owner=owner, system=system, lifecycle=lifecycle, search=q
        )
        return catalog.list_entities(filters, limit=limit, offset=offset)

    def get_one(name: str, caller: Caller) -> EntityDetail:
        caller.require_read()
        entity = catalog.get_entity(name, default_kind=kind)
        if type_ is not None and entity.type != type_:
            raise EntityNotFound(f"{entity.ref} is a {kind} of type {entity.type!r}, not a {noun}")
        return entity

    list_collection.__doc__ = (
        f"List {collection} ({kind}{f' of type {type_}' if type_ else ''}), filterable."
    )
    get_one.__doc__ = f"One {noun} with its relations; NAME may be a full entity ref."
    router.add_api_route(
        f"/{collection}", list_collection, methods=["GET"], operation_id=f"list_{collection}"
    )
    router.add_api_route(
        f"/{collection}/{{name}}", get_one, methods=["GET"], operation_id=f"get_{noun}"
    )
