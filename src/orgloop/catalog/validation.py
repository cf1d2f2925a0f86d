"""Validation of a set of entities: Backstage's descriptor rules, then orgloop's stricter ones.

``mode="backstage"`` checks what Backstage checks (envelope formats, known kinds, required spec
fields and their shapes) plus what a set of files must satisfy to stand alone (no duplicate
entities, every reference resolves) and the values of orgloop's own ``orgloop.dev/``
annotations.  ``mode="orgloop"`` (the default) adds the team rule: every Component of type
``service`` is owned by exactly one Group of type ``team``, and service names are unique.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from orgloop.catalog.entities import Entity, EntityRef, Issue
from orgloop.catalog.relations import REF_FIELDS, references

Mode = Literal["backstage", "orgloop"]

KINDS = ("Component", "API", "Resource", "System", "Domain", "Group", "User", "Location")
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
SERVICE_NAME = "orgloop.dev/service-name"
TEAM_TYPE = "orgloop.dev/team-type"
TEAM_TYPES = ("stream-aligned", "platform", "enabling", "complicated-subsystem")
ORGLOOP_ANNOTATIONS = (SERVICE_NAME, TEAM_TYPE)

REQUIRED: dict[str, tuple[str, ...]] = {
    "Component": ("type", "lifecycle", "owner"),
    "API": ("type", "lifecycle", "owner", "definition"),
    "Resource": ("type", "owner"),
    "System": ("owner",),
    "Domain": ("owner",),
    "Group": ("type", "children"),
    "User": (),
    "Location": (),
}
"""Required spec fields per kind, as in Backstage's kind schemas."""

_PLAIN_STRINGS: dict[str, tuple[str, ...]] = {
    "Component": ("type", "lifecycle"),
    "API": ("type", "lifecycle"),
    "Resource": ("type",),
    "System": ("type",),
    "Domain": ("type",),
    "Group": ("type",),
    "Location": ("type", "target", "presence"),
}
_PLAIN_LISTS: dict[str, tuple[str, ...]] = {"Location": ("targets",)}

_API_VERSION = re.compile(r"^[a-z0-9]+(-+[a-z0-9]+)*(\.[a-z0-9]+(-+[a-z0-9]+)*)*/[a-zA-Z0-9]+$")
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NAMESPACE = re.compile(r"^[a-z0-9]+(-+[a-z0-9]+)*$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]+(-+[a-z0-9]+)*(\.[a-z0-9]+(-+[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
_SERVICE_NAME = re.compile(r"^\S{1,255}$")
_PLACEHOLDERS = ("$text", "$json", "$yaml")

Report = Callable[[str, str], None]


def validate(
    entities: Sequence[Entity],
    *,
    mode: Mode = "orgloop",
    known: Iterable[Entity | EntityRef] = (),
) -> list[Issue]:
    """Every problem in the set, in reading order.

    ``known`` are what exists outside these files (e.g. the server's catalog): they satisfy
    references, and known entities also let the team rule check an owner defined elsewhere.
    """
    issues: list[Issue] = []
    index = _index(entities, issues)
    outside = {k.ref if isinstance(k, Entity) else k: k for k in known}
    present = set(index) | set(outside)
    owners = {ref: k for ref, k in outside.items() if isinstance(k, Entity)} | index
    for entity in entities:

        def report(path: str, message: str, entity: Entity = entity) -> None:
            issues.append(Issue.at(entity.source, path, message))

        check_entity(entity, report)
        _check_references(entity, present, report)
        if mode == "orgloop":
            _check_team_owner(entity, owners, report)
    if mode == "orgloop":
        issues.extend(_duplicate_service_names(entities))
    return issues


def _index(entities: Sequence[Entity], issues: list[Issue]) -> dict[EntityRef, Entity]:
    index: dict[EntityRef, Entity] = {}
    for entity in entities:
        first = index.get(entity.ref)
        if first is None:
            index[entity.ref] = entity
            continue
        where = f"{first.source.file} [document {first.source.document}]"
        message = f"duplicate entity {entity.ref}, first defined in {where}"
        issues.append(Issue.at(entity.source, "metadata.name", message))
    return index


def check_entity(entity: Entity, report: Report) -> None:
    """The rules that need nothing but the entity itself."""
    _check_envelope(entity, report)
    _check_metadata(entity, report)
    if entity.kind in KINDS:
        _check_spec(entity, report)
    _check_orgloop_annotations(entity, report)


def _check_envelope(entity: Entity, report: Report) -> None:
    if entity.kind not in KINDS:
        hint = next((k for k in KINDS if k.lower() == entity.kind.lower()), None)
        known = ", ".join(KINDS)
        report(
            "kind",
            f"unknown kind {entity.kind!r}"
            + (f" (did you mean {hint!r}?)" if hint else f"; known kinds: {known}"),
        )
    elif entity.api_version not in API_VERSIONS:
        report("apiVersion", f"must be one of {', '.join(API_VERSIONS)} for kind {entity.kind}")
    if not _API_VERSION.match(entity.api_version):
        report("apiVersion", f"{entity.api_version!r} is not of the form group/version")


def _check_metadata(entity: Entity, report: Report) -> None:
    meta = entity.metadata
    if len(meta.name) > 63 or not _NAME.match(meta.name):
        report(
            "metadata.name",
            f"{meta.name!r} is not a valid name: 1-63 characters [a-zA-Z0-9] separated by "
            "[-_.], starting and ending with a letter or digit",
        )
    if len(meta.namespace) > 63 or not _NAMESPACE.match(meta.namespace):
        report("metadata.namespace", f"{meta.namespace!r} is not a valid namespace (a-z, 0-9, -)")
    for key, value in meta.labels.items():
        if not _valid_key(key):
            report(f"metadata.labels.{key}", "is not a valid key ([prefix/]name)")
        if value and (len(value) > 63 or not _NAME.match(value)):
            report(f"metadata.labels.{key}", f"{value!r} is not a valid label value")
    for key in meta.annotations:
        if not _valid_key(key):
            report(f"metadata.annotations.{key}", "is not a valid key ([prefix/]name)")
    for i, tag in enumerate(meta.tags):
        if len(tag) > 63 or not _TAG.match(tag):
            report(f"metadata.tags[{i}]", f"{tag!r} is not a valid tag (a-z, 0-9, :+#, -)")


def _valid_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_NAME.match(name))


def _check_spec(entity: Entity, report: Report) -> None:
    spec = entity.spec
    for name in REQUIRED[entity.kind]:
        if spec.get(name) in (None, ""):
            report(f"spec.{name}", f"is required for kind {entity.kind}")
    for name in _PLAIN_STRINGS.get(entity.kind, ()):
        _check_shape(spec, name, many=False, report=report)
    for name in _PLAIN_LISTS.get(entity.kind, ()):
        _check_shape(spec, name, many=True, report=report)
    for ref_field in REF_FIELDS.get(entity.kind, ()):
        _check_shape(spec, ref_field.name, many=ref_field.many, report=report)
    if entity.kind == "API" and spec.get("definition") is not None:
        _check_definition(spec["definition"], report)
    if entity.kind == "Location" and spec.get("presence") not in (None, "required", "optional"):
        report("spec.presence", "must be 'required' or 'optional'")


def _check_shape(spec: dict[str, Any], name: str, *, many: bool, report: Report) -> None:
    value = spec.get(name)
    if value is None:
        return
    if many and not isinstance(value, list):
        report(f"spec.{name}", "must be a list of strings")
    elif not many and not isinstance(value, str):
        report(
            f"spec.{name}",
            "must be a single string" + (" (exactly one)" if isinstance(value, list) else ""),
        )
    elif many:
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                report(f"spec.{name}[{i}]", "must be a non-empty string")


def _check_definition(definition: Any, report: Report) -> None:
    # A {$text: ...} placeholder is kept as written: orgloop never fetches what it names.
    if isinstance(definition, dict) and len(definition) == 1:
        key, target = next(iter(definition.items()))
        if key in _PLACEHOLDERS and isinstance(target, str) and target:
            return
    if not isinstance(definition, str):
        report("spec.definition", "must be a string or a {$text|$json|$yaml: target} placeholder")


def _check_references(entity: Entity, present: set[EntityRef], report: Report) -> None:
    for ref in references(entity):
        if ref.ref is None:
            if isinstance(ref.raw, str):
                report(ref.path, ref.error or "is not an entity reference")
        elif ref.ref not in present:
            report(ref.path, f"refers to {ref.ref}, which is not in the catalog")


def _check_orgloop_annotations(entity: Entity, report: Report) -> None:
    annotations = entity.metadata.annotations
    for key in annotations:
        if key.startswith("orgloop.dev/") and key not in ORGLOOP_ANNOTATIONS:
            report(
                f"metadata.annotations.{key}",
                f"unknown orgloop annotation (known: {', '.join(ORGLOOP_ANNOTATIONS)})",
            )
    if SERVICE_NAME in annotations:
        path = f"metadata.annotations.{SERVICE_NAME}"
        if entity.kind != "Component":
            report(path, "belongs on a Component (the service that reports this service.name)")
        elif not _SERVICE_NAME.match(annotations[SERVICE_NAME]):
            report(path, "must be the OpenTelemetry service.name: 1-255 characters, no spaces")
    if TEAM_TYPE in annotations:
        path = f"metadata.annotations.{TEAM_TYPE}"
        if entity.kind != "Group" or entity.spec.get("type") != "team":
            report(path, "belongs on a Group of type team")
        elif annotations[TEAM_TYPE] not in TEAM_TYPES:
            report(
                path,
                f"{annotations[TEAM_TYPE]!r} is not a team type; use one of {', '.join(TEAM_TYPES)}",
            )


def service_name(entity: Entity) -> str:
    """The OpenTelemetry ``service.name`` a Component reports: the annotation, else its name."""
    return entity.metadata.annotations.get(SERVICE_NAME, entity.metadata.name)


def is_service(entity: Entity) -> bool:
    return entity.kind == "Component" and entity.spec.get("type") == "service"


def _check_team_owner(entity: Entity, index: dict[EntityRef, Entity], report: Report) -> None:
    if not is_service(entity):
        return
    owner = next((r for r in references(entity) if r.field.name == "owner"), None)
    if owner is None or owner.ref is None or owner.path != "spec.owner":
        return  # missing or malformed: the Backstage rules already reported it
    target = index.get(owner.ref)
    if target is None:
        return  # dangling: reported already
    if target.kind != "Group":
        report(
            "spec.owner",
            f"a service is owned by exactly one team, but {owner.ref} is a {target.kind}; name a Group of type team",
        )
    elif target.spec.get("type") != "team":
        report(
            "spec.owner",
            f"a service is owned by exactly one team, but {owner.ref} is a Group of type {target.spec.get('type')!r}",
        )


def _duplicate_service_names(entities: Sequence[Entity]) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, Entity] = {}
    for entity in filter(is_service, entities):
        name = service_name(entity)
        if name in first and first[name].ref != entity.ref:
            message = f"service.name {name!r} is already used by {first[name].ref}; traces could not tell them apart"
            issues.append(Issue.at(entity.source, f"metadata.annotations.{SERVICE_NAME}", message))
        first.setdefault(name, entity)
    return issues
