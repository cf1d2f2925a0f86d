"""Relations derived from descriptors, exactly as Backstage's ``BuiltinKindsEntityProcessor``
emits them: each reference field yields a relation and its inverse, with the field's default kind
and the referring entity's namespace filling in what the reference leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from orgloop.catalog.entities import Entity, EntityRef, EntityRefError, parse_ref


@dataclass(frozen=True)
class RefField:
    """A spec field holding entity references; ``many`` when the schema wants a list."""

    name: str
    default_kind: str | None
    outgoing: str
    incoming: str
    many: bool = False


def _owner() -> RefField:
    return RefField("owner", "Group", "ownedBy", "ownerOf")


def _system() -> RefField:
    return RefField("system", "System", "partOf", "hasPart")


def _depends() -> tuple[RefField, RefField]:
    # No default kind: Backstage requires "resource:db" or "component:x" here.
    return (
        RefField("dependsOn", None, "dependsOn", "dependencyOf", many=True),
        RefField("dependencyOf", None, "dependencyOf", "dependsOn", many=True),
    )


REF_FIELDS: dict[str, tuple[RefField, ...]] = {
    "Component": (
        _owner(),
        RefField("subcomponentOf", "Component", "partOf", "hasPart"),
        RefField("providesApis", "API", "providesApi", "apiProvidedBy", many=True),
        RefField("consumesApis", "API", "consumesApi", "apiConsumedBy", many=True),
        *_depends(),
        _system(),
    ),
    "API": (_owner(), _system()),
    "Resource": (_owner(), *_depends(), _system()),
    "System": (_owner(), RefField("domain", "Domain", "partOf", "hasPart")),
    "Domain": (_owner(), RefField("subdomainOf", "Domain", "partOf", "hasPart")),
    "User": (RefField("memberOf", "Group", "memberOf", "hasMember", many=True),),
    "Group": (
        RefField("parent", "Group", "childOf", "parentOf"),
        RefField("children", "Group", "parentOf", "childOf", many=True),
        RefField("members", "User", "hasMember", "memberOf", many=True),
    ),
}
"""Reference fields per kind (kinds are case-sensitive, as in Backstage)."""


@dataclass(frozen=True, order=True)
class Relation:
    """A directed, typed edge: ``component:default/a ownedBy group:default/team-a``."""

    source: EntityRef
    type: str
    target: EntityRef

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.source.key, self.type, self.target.key)


@dataclass(frozen=True)
class Reference:
    """One reference value found in an entity: its field path and what it parsed to."""

    field: RefField
    path: str
    raw: Any
    ref: EntityRef | None
    error: str | None = None


def references(entity: Entity) -> Iterator[Reference]:
    """Every reference value in the entity's spec, parsed with the field's defaults.

    Like Backstage, a single string and a list are both accepted here; validation reports a
    value of the wrong shape.  Values that are not strings yield an error and no ref.
    """
    for ref_field in REF_FIELDS.get(entity.kind, ()):
        value = entity.spec.get(ref_field.name)
        if value is None:
            continue
        path = f"spec.{ref_field.name}"
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, raw in items:
            item_path = path if index is None else f"{path}[{index}]"
            yield _parse(entity, ref_field, item_path, raw)


def _parse(entity: Entity, ref_field: RefField, path: str, raw: Any) -> Reference:
    if not isinstance(raw, str):
        return Reference(ref_field, path, raw, None, "must be an entity reference string")
    try:
        ref = parse_ref(
            raw, default_kind=ref_field.default_kind, default_namespace=entity.metadata.namespace
        )
    except EntityRefError as exc:
        return Reference(ref_field, path, raw, None, str(exc))
    return Reference(ref_field, path, raw, ref)


def derive_relations(entities: Iterable[Entity]) -> list[Relation]:
    """All relations the entities imply, both directions, deduplicated and sorted."""
    found: set[Relation] = set()
    for entity in entities:
        source = entity.ref
        for reference in references(entity):
            if reference.ref is None:
                continue
            found.add(Relation(source, reference.field.outgoing, reference.ref))
            found.add(Relation(reference.ref, reference.field.incoming, source))
    return sorted(found)
