"""What a one-entity write touches, so checking it reads a handful of rows, not the catalog.

The stored catalog is valid: every write is checked before it commits. So the problems a write
can bring are those of the entities it changes and of the stored entities whose rules look at
them, and these functions find exactly those (validation rules that involve two entities: a
reference resolves, a service's owner is a team, a service.name is reported once):

- writing an entity: the entity itself, the services it owns (if it is a Group whose type
  changed, they break the team rule) and the service already reporting its service.name;
- deleting an entity: the entities whose descriptors refer to it.

Each is validated with the stored entities it refers to as ``known``; the issues are those
``validate`` reports for the whole catalog after the write, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from orgloop.catalog import store
from orgloop.catalog.descriptors import to_entity
from orgloop.catalog.entities import Entity, EntityRef, Issue, Source, parse_ref
from orgloop.catalog.relations import references
from orgloop.catalog.validation import is_service, service_name, validate


def parsed(row: store.StoredEntity) -> Entity:
    """A stored entity as the validation and relation rules read it."""
    file, _, document = (row.source or "<catalog>#0").rpartition("#")
    entity = to_entity(row.descriptor, Source(file or "<catalog>", int(document or 0)), [])
    assert entity is not None, f"stored descriptor of {row.ref} no longer parses"
    return entity


def check_write(session: Session, entity: Entity) -> list[Issue]:
    """The issues of the catalog once ``entity`` is stored (created or replaced)."""
    key = entity.ref.key
    named = service_name(entity) if is_service(entity) else None
    dependants = [
        parsed(row)
        for row in store.services_of(session, owner=key, service_name=named)
        if row.ref != key
    ]
    return _validate([entity, *dependants], session, without=())


def check_delete(session: Session, key: str) -> list[Issue]:
    """The issues of the catalog once the entity ``key`` is deleted."""
    rows = store.get_many(session, store.referrers(session, key))
    referrers = [parsed(rows[ref]) for ref in sorted(rows)]
    return _validate(referrers, session, without=(key,))


def _validate(
    entities: Sequence[Entity], session: Session, *, without: Iterable[str]
) -> list[Issue]:
    """Validate ``entities`` against the stored entities they refer to.

    Presence is all most references need; the owners of services are read whole, because the
    team rule looks at their kind and type.
    """
    inside = {entity.ref.key for entity in entities} | set(without)
    wanted = {r.ref.key for e in entities for r in references(e) if r.ref is not None} - inside
    owners = {
        r.ref.key
        for e in entities
        if is_service(e)
        for r in references(e)
        if r.field.name == "owner" and r.ref is not None
    }
    known: list[Entity | EntityRef] = [
        parsed(row) if ref in owners else parse_ref(ref)
        for ref, row in store.get_many(session, wanted).items()
    ]
    return validate(entities, known=known)
