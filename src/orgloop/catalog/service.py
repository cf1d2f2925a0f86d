"""The catalog's public interface: import, read and change who owns what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from orgloop.catalog import store
from orgloop.catalog.descriptors import to_entity
from orgloop.catalog.entities import Entity, EntityRefError, Issue, Source, parse_ref
from orgloop.catalog.errors import CatalogInvalid, EntityNotFound
from orgloop.catalog.events import CatalogChanged
from orgloop.catalog.models import (
    DescriptorIn,
    EntityDetail,
    EntityPage,
    EntitySummary,
    ImportReport,
    ImportRequest,
    Relation,
)
from orgloop.catalog.neighbours import check_delete, check_write, parsed
from orgloop.catalog.relations import derive_relations
from orgloop.catalog.validation import is_service, service_name
from orgloop.catalog.validation import validate as validate_entities
from orgloop.catalog.writer import entity_to_dict as descriptor_of
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import InvalidInput
from orgloop.kernel.etags import check_if_match, etag_of

EntityFilter = store.EntityFilter
Row = store.StoredEntity
Change = tuple[Entity, dict[str, Any], Row | None]
"""An entity to store, its descriptor, and what was stored under its ref before (if anything)."""

# The REST collections and the entities they list.
COLLECTIONS: dict[str, tuple[str, str | None]] = {
    "teams": ("Group", "team"),
    "groups": ("Group", None),
    "people": ("User", None),
    "services": ("Component", "service"),
    "components": ("Component", None),
    "apis": ("API", None),
    "resources": ("Resource", None),
    "systems": ("System", None),
    "domains": ("Domain", None),
}


class CatalogService:
    def __init__(self, *, db: Database, audit: AuditLog, clock: Clock, bus: EventBus) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._bus = bus

    # -- reading -----------------------------------------------------------------------------

    def list_entities(
        self, filters: EntityFilter, *, limit: int = 50, offset: int = 0
    ) -> EntityPage:
        with self._db.reading() as session:
            rows, total = store.page(session, _normalised(filters), limit=limit, offset=offset)
        return EntityPage(
            items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset
        )

    def get_entity(self, ref: str, *, default_kind: str | None = None) -> EntityDetail:
        key = _key(ref, default_kind)
        with self._db.reading() as session:
            row = store.get(session, key)
            if row is None:
                raise EntityNotFound(f"no entity {key!r} in the catalog", details={"ref": key})
            relations = store.relations_of(session, [key])
        return _detail(row, relations)

    def get_many(self, refs: Iterable[str]) -> dict[str, EntitySummary]:
        with self._db.reading() as session:
            return {k: _summary(v) for k, v in store.get_many(session, refs).items()}

    def owner_of(self, ref: str, *, default_kind: str = "component") -> str | None:
        """The owning group's ref of an entity, or None when it is not in the catalog."""
        try:
            key = _key(ref, default_kind)
        except InvalidInput:
            return None  # a malformed reference names nothing in the catalog
        with self._db.reading() as session:
            row = store.get(session, key)
        return row.owner if row else None

    def export_descriptors(self) -> list[dict[str, Any]]:
        with self._db.reading() as session:
            return [r.descriptor for r in store.all_entities(session)]

    # -- changing ----------------------------------------------------------------------------

    def import_catalog(self, request: ImportRequest, *, actor: Principal) -> ImportReport:
        """Apply a whole source at once: every entity lands, or none does."""
        incoming = _parse(request.entities)
        descriptors = {ref: descriptor_of(entity) for ref, entity in incoming.items()}
        with self._db.transaction() as session:
            existing = {e.ref: e for e in store.all_entities(session)}
            missing = sorted(existing.keys() - incoming.keys())
            kept = [] if request.prune else [parsed(existing[r]) for r in missing]
            issues = validate_entities([*incoming.values(), *kept])
            if issues:
                raise CatalogInvalid.of(issues)
            created, updated = _classify(descriptors, existing)
            removed = missing if request.prune else []
            for ref in [*created, *updated]:
                actor.require_write(owner=_owner(incoming[ref]), what=ref)
            for ref in [*updated, *removed]:
                actor.require_write(owner=existing[ref].owner, what=ref)
            report = ImportReport(
                created=created,
                updated=updated,
                unchanged=len(incoming) - len(created) - len(updated),
                missing=missing,
                removed=removed,
                relations=len(derive_relations([*incoming.values(), *kept])),
                dry_run=request.dry_run,
            )
            if request.dry_run:
                return report
            changes = [(incoming[r], descriptors[r], existing.get(r)) for r in [*created, *updated]]
            self._save(session, changes, actor=actor)
            for ref in removed:
                self._audit.record(
                    session,
                    actor=actor,
                    action="catalog.entity.delete",
                    kind="entity",
                    ref=ref,
                    before=existing[ref].descriptor,
                    after=None,
                )
            store.delete(session, removed)
            changed = CatalogChanged(changed=tuple(created + updated), removed=tuple(removed))
            self._bus.announce(session, changed)
        return report

    def put_entity(
        self, body: DescriptorIn, *, actor: Principal, if_match: str | None = None
    ) -> EntityDetail:
        """Create or replace one entity; its references must resolve in the catalog.

        Reads only what the entity touches (see ``neighbours``) and replaces only its relations.
        ``if_match``: the entity's ETag as read (``entity_etag``); 412 if it changed since.
        """
        entity = next(iter(_parse([body]).values()))
        key = entity.ref.key
        with self._db.transaction() as session:
            before = store.get(session, key, for_update=True)
            if before is not None:
                actor.require_write(owner=before.owner, what=key)
            current = etag_of(before.descriptor) if before is not None else None
            check_if_match(if_match, current, what=f"entity {key}")
            actor.require_write(owner=_owner(entity), what=key)
            issues = check_write(session, entity)
            if issues:
                raise CatalogInvalid.of(issues)
            self._save(session, [(entity, descriptor_of(entity), before)], actor=actor)
            row = store.get(session, key)  # as stored: the database's datetime, as get_entity
            assert row is not None
            detail = _detail(row, store.relations_of(session, [key]))
            self._bus.announce(session, CatalogChanged(changed=(key,), removed=()))
        return detail

    def delete_entity(self, ref: str, *, actor: Principal) -> None:
        key = _key(ref, None)
        with self._db.transaction() as session:
            before = store.get(session, key)
            if before is None:
                raise EntityNotFound(f"no entity {key!r} in the catalog", details={"ref": key})
            actor.require_write(owner=before.owner, what=key)
            issues = check_delete(session, key)
            if issues:
                raise CatalogInvalid.of(
                    [
                        Issue(i.file, i.document, i.path, f"{i.message} (after deleting {key})")
                        for i in issues
                    ]
                )
            store.delete(session, [key])
            self._audit.record(
                session,
                actor=actor,
                action="catalog.entity.delete",
                kind="entity",
                ref=key,
                before=before.descriptor,
                after=None,
            )
            self._bus.announce(session, CatalogChanged(changed=(), removed=(key,)))

    def _save(self, session: Any, changes: Sequence[Change], *, actor: Principal) -> None:
        """Store the entities with the relations they declare, and audit each change."""
        rows = [_row(entity, descriptor, self._clock) for entity, descriptor, _ in changes]
        befores = [before for *_, before in changes]
        store.add(session, [row for row, before in zip(rows, befores, strict=True) if not before])
        store.replace(session, [row for row, before in zip(rows, befores, strict=True) if before])
        store.set_relations(session, _declared(entity for entity, *_ in changes))
        for row, before in zip(rows, befores, strict=True):
            self._audit.record(
                session,
                actor=actor,
                action="catalog.entity.update" if before else "catalog.entity.create",
                kind="entity",
                ref=row.ref,
                before=before.descriptor if before else None,
                after=row.descriptor,
            )


def _parse(items: Sequence[DescriptorIn]) -> dict[str, Entity]:
    """Each descriptor read once into an entity, by ref; a duplicate ref is an error."""
    issues: list[Issue] = []
    parsed_items = [
        entity
        for item in items
        if (entity := to_entity(item.descriptor, Source(item.file, item.document), issues))
        is not None
    ]
    if issues:
        raise CatalogInvalid.of(issues)
    found: dict[str, Entity] = {}
    for entity in parsed_items:
        found.setdefault(entity.ref.key, entity)
    if len(found) < len(parsed_items):
        # Let validation name both places of a duplicate.
        duplicate_issues = validate_entities(parsed_items)
        raise CatalogInvalid.of(
            duplicate_issues or [Issue("<request>", None, "", "duplicate entities")]
        )
    return found


def _classify(
    incoming: dict[str, dict[str, Any]], existing: dict[str, store.StoredEntity]
) -> tuple[list[str], list[str]]:
    """Refs created and refs whose descriptor changed, each sorted."""
    created = sorted(incoming.keys() - existing.keys())
    updated = sorted(
        ref
        for ref in incoming.keys() & existing.keys()
        if incoming[ref] != existing[ref].descriptor
    )
    return created, updated


def _declared(entities: Iterable[Entity]) -> dict[str, list[store.Relation]]:
    """The relations each entity's own descriptor implies, by its key."""
    return {e.ref.key: [r.as_tuple() for r in derive_relations([e])] for e in entities}


def _owner(entity: Entity) -> str | None:
    if entity.kind == "Group":
        return entity.ref.key
    raw = entity.spec.get("owner")
    if entity.kind == "User":
        member_of = entity.spec.get("memberOf") or []
        raw = member_of[0] if isinstance(member_of, list) and member_of else None
    if not isinstance(raw, str):
        return None
    try:
        return parse_ref(raw, default_kind="group", default_namespace=entity.metadata.namespace).key
    except ValueError:
        return None


def _row(entity: Entity, descriptor: dict[str, Any], clock: Clock) -> store.StoredEntity:
    spec = entity.spec
    system = spec.get("system")
    system_ref = None
    if isinstance(system, str):
        system_ref = parse_ref(
            system, default_kind="system", default_namespace=entity.metadata.namespace
        ).key
    return store.StoredEntity(
        ref=entity.ref.key,
        kind=entity.kind,
        name=entity.metadata.name,
        type=_text(spec.get("type")),
        lifecycle=_text(spec.get("lifecycle")),
        owner=_owner(entity),
        system=system_ref,
        service_name=service_name(entity) if is_service(entity) else None,
        descriptor=descriptor,
        source=f"{entity.source.file}#{entity.source.document}",
        updated_at=clock.now(),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _key(ref: str, default_kind: str | None, *, path: str = "ref") -> str:
    """The stored key of a reference a caller sent; a malformed one is their 422, named."""
    try:
        return parse_ref(ref, default_kind=default_kind or "component").key
    except EntityRefError as exc:
        raise InvalidInput(
            f"{path}: {exc}", details={"errors": [{"path": path, "message": str(exc)}]}
        ) from None


def _normalised(f: EntityFilter) -> EntityFilter:
    def ref(value: str | None, kind: str, path: str) -> str | None:
        return _key(value, kind, path=path) if value else None

    return store.EntityFilter(
        kind=f.kind,
        type=f.type,
        owner=ref(f.owner, "group", "owner"),
        system=ref(f.system, "system", "system"),
        lifecycle=f.lifecycle,
        search=f.search,
    )


def _summary(row: store.StoredEntity) -> EntitySummary:
    meta = row.descriptor.get("metadata", {})
    return EntitySummary(
        ref=row.ref,
        kind=row.kind,
        namespace=meta.get("namespace", "default"),
        name=row.name,
        title=meta.get("title"),
        description=meta.get("description"),
        type=row.type,
        lifecycle=row.lifecycle,
        owner=row.owner,
        system=row.system,
        tags=list(meta.get("tags", [])),
        annotations=dict(meta.get("annotations", {})),
    )


def entity_etag(detail: EntityDetail) -> str:
    """An entity's version as ``ETag``: its descriptor's digest (what a ``PUT`` replaces)."""
    return etag_of(detail.descriptor)


def _detail(row: store.StoredEntity, relations: list[tuple[str, str, str]]) -> EntityDetail:
    return EntityDetail(
        **_summary(row).model_dump(),
        descriptor=row.descriptor,
        relations=[Relation(type=t, target=o) for _, t, o in sorted(relations)],
        source=row.source,
        updated_at=row.updated_at,
    )
