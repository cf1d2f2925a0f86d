"""Collecting descriptor files: the paths a user names, and the Location entities inside them.

A Location's ``spec.target`` / ``spec.targets`` are resolved relative to the Location's own file
and followed recursively; globs (``./components/*.yaml``) expand as in Backstage's file reader.
Each file is read once however often it is reached, which makes cycles harmless and keeps an
index Location (``all.yaml``) from counting its targets twice.  Remote targets are refused:
orgloop never fetches a URL named in a descriptor.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orgloop.catalog.descriptors import (
    MAX_FILE_BYTES,
    YamlRefused,
    load_yaml,
    read_descriptor_file,
)
from orgloop.catalog.entities import Entity, Issue

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[]")
DESCRIPTOR_SUFFIXES = (".yaml", ".yml")


@dataclass
class Loaded:
    """What a set of paths holds: entities in reading order, issues, and the files read."""

    entities: list[Entity] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: YAML files found under a named directory that are not catalog descriptors: (dir, file).
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return any(issue.unreadable for issue in self.issues)

    def skipped_note(self) -> str | None:
        """One line naming how many files were skipped, and under which directories."""
        if not self.skipped:
            return None
        count = len(self.skipped)
        where = ", ".join(dict.fromkeys(directory for directory, _ in self.skipped))
        files = f"{count} YAML files" if count != 1 else "1 YAML file"
        verb = "are" if count != 1 else "is"
        return (
            f"note: skipped {files} under {where} that {verb} not catalog descriptors "
            "(no apiVersion or kind)"
        )


def load_paths(paths: Sequence[str | Path], *, root: Path | None = None) -> Loaded:
    """Read the named files (directories: every ``*.yaml``/``*.yml`` below them) and follow
    their Locations.  With ``root``, Location targets that resolve outside it are refused."""
    loaded = Loaded()
    seen: set[Path] = set()
    queue: list[tuple[str, str | None]] = []
    for path in paths:
        queue.extend(_expand_argument(str(path), loaded))
    while queue:
        file, found_under = queue.pop(0)
        resolved = Path(file).resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if found_under is not None and not _looks_like_descriptors(Path(file)):
            loaded.skipped.append((found_under, file))
            continue
        entities, issues = read_descriptor_file(Path(file), name=file)
        loaded.files.append(file)
        loaded.entities.extend(entities)
        loaded.issues.extend(issues)
        for entity in entities:
            if entity.kind == "Location":
                queue.extend((t, None) for t in _targets(entity, file, root, loaded.issues))
    return loaded


def _looks_like_descriptors(path: Path) -> bool:
    """False for a YAML file none of whose documents has a descriptor's ``apiVersion`` or
    ``kind`` (an OpenAPI document, an experiment, a list): a directory may hold such files
    beside the descriptors.  A file that is not YAML, or cannot be read, is read as a
    descriptor file so that the problem is reported."""
    try:
        with path.open("rb") as handle:
            text = handle.read(MAX_FILE_BYTES + 1).decode("utf-8-sig")
        documents = [data for _, _, data in load_yaml(text)]
    except (OSError, UnicodeDecodeError, YamlRefused):
        return True
    return any(
        isinstance(data, dict) and ("apiVersion" in data or "kind" in data)
        for data in documents
        if data is not None
    ) or all(data is None for data in documents)


def _expand_argument(path: str, loaded: Loaded) -> list[tuple[str, str | None]]:
    if os.path.isdir(path):
        found = [
            os.path.join(folder, name)
            for folder, _, names in os.walk(path)
            for name in names
            if name.endswith(DESCRIPTOR_SUFFIXES)
        ]
        return [(file, path) for file in sorted(found)]
    if not os.path.exists(path):
        loaded.issues.append(Issue(path, None, "", "no such file or directory", unreadable=True))
        return []
    return [(path, None)]


def _targets(location: Entity, file: str, root: Path | None, issues: list[Issue]) -> list[str]:
    """The files one Location points at, reporting the targets that cannot be followed."""
    spec = location.spec
    raw: list[tuple[str, object]] = []
    if "target" in spec:
        raw.append(("spec.target", spec["target"]))
    if isinstance(spec.get("targets"), list):
        raw.extend((f"spec.targets[{i}]", t) for i, t in enumerate(spec["targets"]))
    optional = spec.get("presence") == "optional"
    base = os.path.dirname(file)
    files: list[str] = []
    for path, target in raw:
        if not isinstance(target, str):
            continue  # validation reports the wrong type
        found, problem = _resolve(target, base, root, optional)
        files.extend(found)
        if problem:
            issues.append(Issue.at(location.source, path, problem))
    return files


def _resolve(target: str, base: str, root: Path | None, optional: bool) -> tuple[list[str], str]:
    if _URL.match(target):
        return [], (
            f"remote target {target!r} is not fetched; orgloop reads local files only "
            "(check the repository out and point at the file)"
        )
    joined = os.path.normpath(os.path.join(base, target))
    if _GLOB.search(target):
        matches = sorted(glob.glob(joined, recursive=True))
        files = [m for m in matches if os.path.isfile(m)]
    elif os.path.isfile(joined):
        files = [joined]
    elif optional:
        return [], ""
    else:
        return [], f"target {target!r} not found (looked for {joined})"
    if root is not None:
        inside = [f for f in files if Path(f).resolve().is_relative_to(root.resolve())]
        if len(inside) < len(files):
            return inside, f"target {target!r} points outside the catalog directory {root}"
    return files, ""
