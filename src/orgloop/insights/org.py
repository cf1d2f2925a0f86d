"""The organisation as insights sees it: teams, people, services, calls, databases, interactions.

``Org`` is the one input every pure computation takes. ``org_from_descriptors`` builds it from
the catalog's Backstage descriptors (no database, no IO); ``service.py`` adds observed calls.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orgloop.kernel import yamlguard

PREFIX = "insights.orgloop.dev/"
INTERACTIONS = PREFIX + "interactions"
ROLES = PREFIX + "roles"
LAYER = PREFIX + "layer"
NEEDS = PREFIX + "needs"

MODES = ("collaboration", "x-as-a-service", "facilitating")
_TYPE_LAYER = {"website": "frontend", "service": "backend", "library": "backend"}
_VERSIONED = re.compile(r"(^|/)v\d+(\.\d+)*(/|$)")


@dataclass(frozen=True)
class Call:
    """``source`` calls ``target``: ``rate`` calls (per second observed, or 1 when declared)."""

    source: str
    target: str
    rate: float = 1.0
    synchronous: bool = True
    via: str | None = None  # the API, when the call was declared through one


@dataclass(frozen=True)
class Api:
    name: str
    provider: str | None
    consumers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # routes of the definition, when it is an inline OpenAPI document
    synchronous: bool = True
    versions: tuple[str, ...] | None = None  # published in contracts; None when not looked up


@dataclass(frozen=True)
class Org:
    """Names are short (``team-a``, not ``group:default/team-a``); every service has one owner."""

    teams: tuple[str, ...]
    owner: Mapping[str, str]  # service -> team
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # team -> people
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)  # person -> functions
    unit: Mapping[str, str] = field(default_factory=dict)  # team -> organisational unit
    calls: tuple[Call, ...] = ()
    apis: tuple[Api, ...] = ()
    storage: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # database -> services
    interactions: Mapping[frozenset[str], str] = field(default_factory=dict)  # team pair -> mode
    layer: Mapping[str, str] = field(default_factory=dict)  # service -> layer
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)  # service -> functions
    system: Mapping[str, str] = field(default_factory=dict)  # service -> capability

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted(self.owner))

    def owned_by(self, team: str) -> list[str]:
        return sorted(s for s, t in self.owner.items() if t == team)


def short(ref: Any) -> str:
    """``group:default/team-a`` -> ``team-a`` (kind and namespace dropped, lowercased)."""
    text = str(ref).strip().lower()
    return text.split(":", 1)[-1].split("/")[-1]


def _kind(ref: Any) -> str | None:
    text = str(ref).lower()
    return text.split(":", 1)[0] if ":" in text else None


def parse_list(value: str | None) -> list[str]:
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def parse_interactions(value: str | None) -> dict[str, str]:
    """``team-b: collaboration, team-c: x-as-a-service`` -> ``{team-b: collaboration, ...}``."""
    found: dict[str, str] = {}
    for item in parse_list(value):
        team, _, mode = item.partition(":")
        found[short(team.strip())] = mode.strip() or "collaboration"
    return found


def org_from_descriptors(descriptors: Iterable[Mapping[str, Any]]) -> Org:
    """The organisation the catalog declares (calls from ``dependsOn`` and ``consumesApis``)."""
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for d in descriptors:
        by_kind.setdefault(str(d.get("kind")), []).append(d)
    groups = by_kind.get("Group", [])
    teams = sorted(_name(g) for g in groups if _spec(g).get("type") == "team")
    members: dict[str, set[str]] = {t: set() for t in teams}
    unit: dict[str, str] = {}
    interactions: dict[frozenset[str], str] = {}
    for g in groups:
        name, spec = _name(g), _spec(g)
        for child in spec.get("children") or []:
            if short(child) in members and name not in members:
                unit[short(child)] = name
        if name in members:
            members[name].update(short(m) for m in spec.get("members") or [])
            if spec.get("parent") and short(spec["parent"]) not in members:
                unit[name] = short(spec["parent"])
            declared = parse_interactions(_annotations(g).get(INTERACTIONS))
            for other, mode in declared.items():
                interactions[frozenset((name, other))] = mode
    roles: dict[str, frozenset[str]] = {}
    for u in by_kind.get("User", []):
        roles[_name(u)] = frozenset(parse_list(_annotations(u).get(ROLES)))
        for team in _spec(u).get("memberOf") or []:
            if short(team) in members:
                members[short(team)].add(_name(u))
    components = [c for c in by_kind.get("Component", []) if _spec(c).get("owner")]
    owner = {_name(c): short(_spec(c)["owner"]) for c in components}
    provider: dict[str, str] = {}
    for c in components:
        for api in _spec(c).get("providesApis") or []:
            provider[short(api)] = _name(c)
    api_specs = {_name(a): a for a in by_kind.get("API", [])}
    calls: list[Call] = []
    consumers: dict[str, list[str]] = {}
    storage: dict[str, set[str]] = {}
    databases = {
        _name(r) for r in by_kind.get("Resource", []) if _spec(r).get("type") == "database"
    }
    for c in components:
        name, spec = _name(c), _spec(c)
        for dep in spec.get("dependsOn") or []:
            if _kind(dep) == "resource" and short(dep) in databases:
                storage.setdefault(short(dep), set()).add(name)
            elif _kind(dep) in (None, "component") and short(dep) in owner:
                calls.append(Call(name, short(dep)))
        for api in spec.get("consumesApis") or []:
            consumers.setdefault(short(api), []).append(name)
            target = provider.get(short(api))
            if target is not None and target != name:
                sync = _spec(api_specs.get(short(api), {})).get("type") != "asyncapi"
                calls.append(Call(name, target, synchronous=sync, via=short(api)))
    apis = tuple(
        Api(
            name=n,
            provider=provider.get(n),
            consumers=tuple(sorted(consumers.get(n, []))),
            paths=_paths(_spec(a).get("definition")),
            synchronous=_spec(a).get("type") != "asyncapi",
        )
        for n, a in sorted(api_specs.items())
    )
    layer = {
        _name(c): (
            _annotations(c).get(LAYER) or _TYPE_LAYER.get(str(_spec(c).get("type")), "backend")
        )
        .strip()
        .lower()
        for c in components
    }
    system = {_name(c): short(_spec(c)["system"]) for c in components if _spec(c).get("system")}
    capability_layers: dict[str, set[str]] = {}
    for name, capability in system.items():
        capability_layers.setdefault(capability, set()).add(layer[name])
    needs = {}
    for c in components:
        name = _name(c)
        declared_needs = parse_list(_annotations(c).get(NEEDS))
        uses_db = any(name in users for users in storage.values())
        default = {
            layer[name],
            *(["database"] if uses_db else []),
            *capability_layers.get(system.get(name, ""), ()),
        }
        needs[name] = frozenset(declared_needs or default)
    return Org(
        teams=tuple(teams),
        owner=owner,
        members={t: tuple(sorted(m)) for t, m in members.items()},
        roles=roles,
        unit=unit,
        calls=tuple(calls),
        apis=apis,
        storage={d: tuple(sorted(s)) for d, s in sorted(storage.items())},
        interactions=interactions,
        layer=layer,
        needs=needs,
        system=system,
    )


def is_versioned_path(path: str) -> bool:
    return bool(_VERSIONED.search(path))


def _paths(definition: Any) -> tuple[str, ...]:
    """The routes of an inline OpenAPI definition (a JSON or YAML string); none otherwise."""
    if not isinstance(definition, str) or "paths" not in definition:
        return ()
    return _routes(definition)


@functools.lru_cache(maxsize=8192)
def _routes(definition: str) -> tuple[str, ...]:
    # Definitions repeat from report to report (hence the cache); the bounded reader refuses
    # a definition whose aliases would expand without end.
    try:
        document = yamlguard.load(definition, limits=yamlguard.YamlLimits(aliases=10_000))
    except yamlguard.YamlRefused:
        return ()
    if not isinstance(document, dict):
        return ()
    servers = [str(s.get("url", "")) for s in document.get("servers") or [] if isinstance(s, dict)]
    base = next((u for u in servers if is_versioned_path(u)), "")
    paths = document.get("paths")
    return tuple(base + str(p) for p in paths) if isinstance(paths, dict) else ()


def _name(entity: Mapping[str, Any]) -> str:
    return str((entity.get("metadata") or {}).get("name", "")).lower()


def _spec(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = entity.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _annotations(entity: Mapping[str, Any]) -> Mapping[str, str]:
    found = (entity.get("metadata") or {}).get("annotations")
    return found if isinstance(found, Mapping) else {}
