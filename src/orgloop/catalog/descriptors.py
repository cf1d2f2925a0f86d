"""Reading Backstage descriptor files (multi-document YAML) into entities, defensively.

The YAML is read by the kernel's bounded reader (``kernel.yamlguard``): the YAML 1.2 core schema
(as Backstage's ``yaml`` package), no duplicate keys or application tags, and bounds on nesting,
aliases and the *expanded* size of a document, so a "billion laughs" file is refused after a few
dozen events instead of exhausting memory. This module adds the file size bound.

Every problem becomes an :class:`Issue` naming the file, the document index and the field path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orgloop.catalog.entities import DEFAULT_NAMESPACE, Entity, Issue, Metadata, Source
from orgloop.kernel.yamlguard import YamlRefused, load_all, parse_plain_scalar

MAX_FILE_BYTES = 5 * 1024 * 1024
_ENVELOPE = {"apiVersion", "kind", "metadata", "spec"}
_OUTPUT_ONLY = {"relations", "status"}  # computed by a catalog, never read from a descriptor
_MODELLED = {"name", "namespace", "title", "description", "labels", "annotations", "tags", "links"}

__all__ = ["YamlRefused", "load_yaml", "parse_descriptors", "parse_plain_scalar", "to_entity"]


def load_yaml(text: str) -> Iterator[tuple[int, int, Any]]:
    """Yield ``(document index, first line, value)`` per document; raise YamlRefused."""
    return load_all(text)


def parse_descriptors(text: str, *, file: str) -> tuple[list[Entity], list[Issue]]:
    """The entities of one descriptor file's text, and every problem found reading them."""
    entities: list[Entity] = []
    issues: list[Issue] = []
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        issues.append(_too_large(file, size))
        return entities, issues
    try:
        for index, line, data in load_yaml(text):
            if data is None:  # an empty document, e.g. a trailing "---"; Backstage skips it too
                continue
            entity = to_entity(data, Source(file, index, line), issues)
            if entity is not None:
                entities.append(entity)
    except YamlRefused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        issues.append(Issue(file, exc.document, exc.path, where + exc.message, unreadable=True))
    return entities, issues


def read_descriptor_file(
    path: Path, *, name: str | None = None
) -> tuple[list[Entity], list[Issue]]:
    """Read and parse one file; ``name`` is how the file is named in issues (default: path)."""
    file = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [_too_large(file, size)]
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        return [], [Issue(file, None, "", f"cannot read the file: {exc.strerror}", unreadable=True)]
    if len(raw) > MAX_FILE_BYTES:
        return [], [_too_large(file, len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (invalid byte at offset {exc.start})"
        return [], [Issue(file, None, "", message, unreadable=True)]
    return parse_descriptors(text, file=file)


def _too_large(file: str, size: int) -> Issue:
    message = f"file is {size:,} bytes; descriptor files are limited to {MAX_FILE_BYTES:,} bytes"
    return Issue(file, None, "", message, unreadable=True)


def _kind_of(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)


def to_entity(data: Any, source: Source, issues: list[Issue]) -> Entity | None:
    """One document as an Entity, or None when its envelope is unusable (issues say why)."""

    def problem(path: str, message: str) -> None:
        issues.append(Issue.at(source, path, message))

    if not isinstance(data, dict):
        problem("", f"a document must be a mapping describing one entity, not {_kind_of(data)}")
        return None
    for key in sorted(data.keys() - _ENVELOPE - _OUTPUT_ONLY):
        problem(key, "unknown top-level field (an entity has apiVersion, kind, metadata, spec)")
    usable = True
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            problem(key, "is required" if data.get(key) is None else "must be a non-empty string")
            usable = False
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        problem("metadata", "is required" if metadata is None else "must be a mapping")
        return None
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        problem(
            "metadata.name", "is required" if metadata.get("name") is None else "must be a string"
        )
        usable = False
    spec = data.get("spec")
    if spec is not None and not isinstance(spec, dict):
        problem("spec", f"must be a mapping, not {_kind_of(spec)}")
        usable = False
    if not usable:
        return None
    meta = _metadata(metadata, problem)
    return Entity(str(data["apiVersion"]), str(data["kind"]), meta, dict(spec or {}), source)


def _metadata(raw: dict[str, Any], problem: Any) -> Metadata:
    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problem(f"metadata.{key}", f"must be a string, not {_kind_of(value)}")
            return None
        return value

    return Metadata(
        name=str(raw["name"]),
        namespace=text("namespace") or DEFAULT_NAMESPACE,
        title=text("title"),
        description=text("description"),
        labels=_string_map(raw.get("labels"), "metadata.labels", problem),
        annotations=_string_map(raw.get("annotations"), "metadata.annotations", problem),
        tags=_string_list(raw.get("tags"), "metadata.tags", problem),
        links=_links(raw.get("links"), problem),
        extra={k: v for k, v in raw.items() if k not in _MODELLED},
    )


def _string_map(value: Any, path: str, problem: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(path, f"must be a mapping of strings, not {_kind_of(value)}")
        return {}
    good = {k: v for k, v in value.items() if isinstance(v, str)}
    for key in sorted(value.keys() - good.keys()):
        problem(f"{path}.{key}", f"must be a string, not {_kind_of(value[key])} (quote it)")
    return good


def _string_list(value: Any, path: str, problem: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problem(path, f"must be a list of strings, not {_kind_of(value)}")
        return []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problem(f"{path}[{i}]", f"must be a string, not {_kind_of(item)}")
    return [item for item in value if isinstance(item, str)]


def _links(value: Any, problem: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problem("metadata.links", f"must be a list, not {_kind_of(value)}")
        return []
    links: list[dict[str, Any]] = []
    for i, link in enumerate(value):
        if not isinstance(link, dict) or not isinstance(link.get("url"), str) or not link["url"]:
            problem(f"metadata.links[{i}].url", "is required: each link is a mapping with a url")
            continue
        links.append(link)
    return links
