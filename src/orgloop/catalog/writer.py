"""Writing entities back as Backstage descriptor files, stable and round-trippable.

Reading what was written gives the same entities (``source`` aside), and writing the same
entities twice gives the same bytes: entities are sorted by reference, keys keep the descriptor
order (apiVersion, kind, metadata, spec), and strings the YAML 1.2 reader would take for
something else (``0o17``, ``1e3``, ``yes``) are quoted.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml

from orgloop.catalog.descriptors import parse_plain_scalar
from orgloop.catalog.entities import DEFAULT_NAMESPACE, Entity
from orgloop.kernel.errors import InvalidInput

Layout = Literal["kind", "entity"]

_UNSAFE_IN_PLAIN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\r]")
_SAFE_PART = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*$")


class _Dumper(yaml.SafeDumper):
    """Never writes anchors (readers of descriptors should not need to follow them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if _UNSAFE_IN_PLAIN.search(data):
        style = '"'  # escapes line separators and control characters the other styles fold
    elif "\n" in data:
        style = "|"  # the emitter falls back to quoting when a block scalar cannot hold it
    elif parse_plain_scalar(data) != data:
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def entity_to_dict(entity: Entity) -> dict[str, Any]:
    """The descriptor mapping of one entity, omitting empty and default fields."""
    meta = entity.metadata
    metadata: dict[str, Any] = {"name": meta.name}
    if meta.namespace != DEFAULT_NAMESPACE:
        metadata["namespace"] = meta.namespace
    optional: dict[str, Any] = {
        "title": meta.title,
        "description": meta.description,
        "labels": meta.labels,
        "annotations": meta.annotations,
        "tags": meta.tags,
        "links": meta.links,
    }
    metadata.update({key: value for key, value in optional.items() if value})
    metadata.update(meta.extra)
    document: dict[str, Any] = {
        "apiVersion": entity.api_version,
        "kind": entity.kind,
        "metadata": metadata,
    }
    if entity.spec:
        document["spec"] = entity.spec
    return document


def dump_entities(entities: Iterable[Entity]) -> str:
    """One multi-document YAML text, entities sorted by reference."""
    ordered = sorted(entities, key=lambda e: e.ref.key)
    return "".join(
        "---\n"
        + yaml.dump(
            entity_to_dict(e), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )
        for e in ordered
    )


def plan_files(entities: Iterable[Entity], *, layout: Layout = "kind") -> dict[str, str]:
    """Relative file name -> text.  ``kind``: one file per kind (``components.yaml``);
    ``entity``: one file per entity (``component/<namespace>/<name>.yaml``).

    A Location's targets named the files it was imported from; in an export they name the files
    the export writes (every file but the Locations' own), so the directory reads back whole."""
    groups: dict[str, list[Entity]] = {}
    for entity in entities:
        groups.setdefault(_file_name(entity, layout), []).append(entity)
    holding_locations = {
        name for name, group in groups.items() if any(e.kind == "Location" for e in group)
    }
    targets = sorted(groups.keys() - holding_locations)
    for name in holding_locations:
        base = posixpath.dirname(name) or "."
        relative = [f"./{posixpath.relpath(target, base)}" for target in targets]
        groups[name] = [
            _pointing_at(e, relative) if e.kind == "Location" else e for e in groups[name]
        ]
    return {name: dump_entities(group) for name, group in sorted(groups.items())}


def _pointing_at(location: Entity, targets: list[str]) -> Entity:
    spec = {k: v for k, v in location.spec.items() if k not in {"target", "targets", "presence"}}
    spec.update({"type": "file", "targets": targets})
    return dataclasses.replace(location, spec=spec)


def _file_name(entity: Entity, layout: Layout) -> str:
    parts = (entity.kind.lower(), entity.metadata.namespace, entity.metadata.name)
    unsafe = [part for part in parts if not _SAFE_PART.match(part)]
    if unsafe:
        raise InvalidInput.at("metadata.name", f"{unsafe[0]!r} cannot be used in a file name")
    if layout == "kind":
        return f"{parts[0]}s.yaml"
    return f"{parts[0]}/{parts[1]}/{parts[2]}.yaml"


def write_catalog(
    entities: Iterable[Entity], directory: Path, *, layout: Layout = "kind"
) -> list[Path]:
    """Write the descriptor files into ``directory`` and return their paths."""
    written: list[Path] = []
    for name, text in plan_files(entities, layout=layout).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
