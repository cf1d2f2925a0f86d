"""Catalog entities as read from Backstage descriptors, and the `kind:namespace/name` references
between them.

References follow Backstage's ``parseEntityRef``: ``[<kind>:][<namespace>/]<name>``, where a
missing kind or namespace comes from the field's default (``spec.owner`` is a Group,
``spec.system`` a System, ...) and from the referring entity's namespace.  References compare
case-insensitively, as Backstage's ``stringifyEntityRef`` lowercases all three parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_NAMESPACE = "default"


class EntityRefError(ValueError):
    """A reference string that is not ``[<kind>:][<namespace>/]<name>`` or lacks a kind."""


@dataclass(frozen=True, eq=False)
class EntityRef:
    """A reference to one entity; equal and hashed by its lowercased ``kind:namespace/name``."""

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        """The canonical string form: ``component:default/petstore``."""
        return f"{self.kind}:{self.namespace}/{self.name}".lower()

    def __str__(self) -> str:
        return self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EntityRef) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: EntityRef) -> bool:
        return self.key < other.key


def parse_ref(
    ref: str, *, default_kind: str | None = None, default_namespace: str = DEFAULT_NAMESPACE
) -> EntityRef:
    """Parse ``[<kind>:][<namespace>/]<name>`` the way Backstage's ``parseEntityRef`` does."""
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:
        # A "/" before the ":" means the ":" belongs to the name.
        colon = -1
    kind = None if colon == -1 else ref[:colon]
    namespace = None if slash == -1 else ref[colon + 1 : slash]
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or not name:
        raise EntityRefError(
            f'entity reference "{ref}" is not of the form [<kind>:][<namespace>/]<name>'
        )
    kind = kind if kind is not None else default_kind
    if not kind:
        raise EntityRefError(
            f'entity reference "{ref}" has no kind (write it as e.g. "component:{ref}")'
        )
    return EntityRef(kind, namespace or default_namespace, name)


@dataclass(frozen=True)
class Source:
    """Where a document came from: the file and the document's 0-based index in it."""

    file: str
    document: int
    line: int = 0


@dataclass(frozen=True)
class Metadata:
    """The envelope metadata every kind shares; ``extra`` keeps fields orgloop does not model."""

    name: str
    namespace: str = DEFAULT_NAMESPACE
    title: str | None = None
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entity:
    """One catalog entity.  ``source`` is not part of equality: the same descriptor written to
    another file is the same entity."""

    api_version: str
    kind: str
    metadata: Metadata
    spec: dict[str, Any] = field(default_factory=dict)
    source: Source = field(default=Source("<memory>", 0), compare=False)

    @property
    def ref(self) -> EntityRef:
        return EntityRef(self.kind, self.metadata.namespace, self.metadata.name)

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.annotations


@dataclass(frozen=True)
class Issue:
    """One problem found in the descriptors: where (file, document, field path) and what.

    ``document`` is None for problems with a whole file (missing, too large).  ``unreadable``
    marks input that could not be read as YAML at all, as opposed to YAML that describes an
    invalid catalog: ``catalog validate`` exits 2 for the first and 1 for the second.
    """

    file: str
    document: int | None
    path: str
    message: str
    unreadable: bool = field(default=False, compare=False)

    @classmethod
    def at(cls, source: Source, path: str, message: str) -> Issue:
        return cls(source.file, source.document, path, message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "document": self.document,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.file if self.document is None else f"{self.file} [document {self.document}]"
        return f"{where} {self.path or '(document)'}: {self.message}"
