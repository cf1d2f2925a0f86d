"""Who owns which service, which teams and capabilities exist: read from catalog descriptors (pure).

Imports name services, teams and capabilities as people write them (``checkout``); the catalog
names them as entity refs. A repository names its service through the Backstage annotations
``github.com/project-slug`` and ``gitlab.com/project-slug``, else by the component's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SLUG_ANNOTATIONS = ("github.com/project-slug", "gitlab.com/project-slug")


def short(ref: Any) -> str:
    """``group:default/checkout`` -> ``checkout``."""
    return str(ref).split(":", 1)[-1].removeprefix("default/").lower()


@dataclass(frozen=True)
class Directory:
    owner: Mapping[str, str]  # service -> team
    teams: frozenset[str]
    systems: frozenset[str]
    system_of: Mapping[str, str] = field(default_factory=dict)  # service -> capability
    slugs: Mapping[str, str] = field(default_factory=dict)  # "org/repo" -> service

    def service_for(self, full_name: str, name: str) -> str:
        """The service a repository builds (its own name when nothing in the catalog says)."""
        return self.slugs.get(full_name.lower()) or name.lower() or full_name.lower()


def directory_from(descriptors: Iterable[Mapping[str, Any]]) -> Directory:
    owner: dict[str, str] = {}
    system_of: dict[str, str] = {}
    slugs: dict[str, str] = {}
    teams: set[str] = set()
    systems: set[str] = set()
    for d in descriptors:
        kind = str(d.get("kind", "")).lower()
        meta, spec = d.get("metadata") or {}, d.get("spec") or {}
        name = str(meta.get("name", "")).lower()
        if kind == "group":
            teams.add(name)
        elif kind == "system":
            systems.add(name)
        elif kind == "component":
            if spec.get("owner"):
                owner[name] = short(spec["owner"])
            if spec.get("system"):
                system_of[name] = short(spec["system"])
            for key in SLUG_ANNOTATIONS:
                slug = (meta.get("annotations") or {}).get(key)
                if slug:
                    slugs[str(slug).lower()] = name
    return Directory(
        owner=owner,
        teams=frozenset(teams),
        systems=frozenset(systems),
        system_of=system_of,
        slugs=slugs,
    )
