"""What the entity pages show: one team, service, API or system, as JSON-able data.

Keys starting with ``_`` are for the HTML page only (an SVG); the JSON twin drops them.
"""

from __future__ import annotations

from typing import Any

from orgloop.catalog.models import EntityDetail
from orgloop.kernel.errors import NotFound
from orgloop.web.links import href, link
from orgloop.web.reader import Reader, summary_view, targets
from orgloop.web.servicegraph import around, graph_view, read_graph

TEAM_TYPE = "orgloop.dev/team-type"
SERVICE_NAME = "orgloop.dev/service-name"


def team_page(reader: Reader, name: str) -> dict[str, Any]:
    team = reader.detail("group", name, noun="team")
    owned = reader.summaries(targets(team, "ownerOf"))
    services = [s for s in owned.values() if s.kind == "Component"]
    return {
        "team": {**summary_view(team), "team_type": team.annotations.get(TEAM_TYPE)},
        "parent": next(iter(reader.links(targets(team, "childOf"))), None),
        "children": reader.links(targets(team, "parentOf")),
        "members": [_person(reader, ref) for ref in targets(team, "hasMember")],
        "services": [
            {**summary_view(s), "href": href(s.ref), "system": link(s.system)}
            for s in sorted(services, key=lambda s: s.name)
        ],
        "apis": reader.links(r for r, s in owned.items() if s.kind == "API"),
        "systems": reader.links(r for r, s in owned.items() if s.kind == "System"),
    }


def _person(reader: Reader, ref: str) -> dict[str, Any]:
    try:
        person = reader.catalog.get_entity(ref)
    except NotFound:  # a member named but not (yet) in the catalog still shows up
        return {"ref": ref, "name": ref.rsplit("/", 1)[-1], "display_name": None, "email": None}
    profile = person.descriptor.get("spec", {}).get("profile", {}) or {}
    return {
        "ref": ref,
        "name": person.name,
        "display_name": profile.get("displayName"),
        "email": profile.get("email"),
    }


def service_page(reader: Reader, name: str) -> dict[str, Any]:
    service = reader.detail("component", name, noun="service")
    owner = reader.links([service.owner] if service.owner else [])
    full = read_graph(reader)
    return {
        "service": {**summary_view(service), "runtime_name": service.annotations.get(SERVICE_NAME)},
        "owner": owner[0] if owner else None,
        "system": next(iter(reader.links([service.system] if service.system else [])), None),
        "provides": [_api_use(reader, api, "apiConsumedBy") for api in targets(service, "providesApi")],
        "consumes": [_api_use(reader, api, "apiProvidedBy") for api in targets(service, "consumesApi")],
        "dependencies": reader.links(targets(service, "dependsOn")),
        "dependents": reader.links(targets(service, "dependencyOf")),
        "graph": graph_view(around(full, service.ref), title=f"Neighbourhood of {service.name}", focus=service.ref),
    }  # fmt: skip


def _api_use(reader: Reader, api_ref: str, relation: str) -> dict[str, Any]:
    """An API with the services on its other side and their teams."""
    try:
        api: EntityDetail | None = reader.catalog.get_entity(api_ref)
    except NotFound:
        api = None
    others = reader.summaries(targets(api, relation)) if api else {}
    teams = {s.owner for s in others.values() if s.owner} or (
        {api.owner} if api and api.owner else set()
    )
    return {
        "api": link(api_ref, api),
        "services": reader.links(others),
        "teams": reader.links(teams),
    }


def api_page(reader: Reader, name: str) -> dict[str, Any]:
    api = reader.detail("api", name, noun="API")
    return {
        "api": summary_view(api),
        "owner": next(iter(reader.links([api.owner] if api.owner else [])), None),
        "system": next(iter(reader.links([api.system] if api.system else [])), None),
        "providers": reader.links(targets(api, "apiProvidedBy")),
        "consumers": reader.links(targets(api, "apiConsumedBy")),
    }


def system_page(reader: Reader, name: str) -> dict[str, Any]:
    system = reader.detail("system", name, noun="system")
    parts = reader.summaries(targets(system, "hasPart"))
    return {
        "system": summary_view(system),
        "owner": next(iter(reader.links([system.owner] if system.owner else [])), None),
        "domain": next(iter(reader.links(targets(system, "partOf"))), None),
        "services": reader.links(r for r, s in parts.items() if s.kind == "Component"),
        "apis": reader.links(r for r, s in parts.items() if s.kind == "API"),
        "resources": reader.links(r for r, s in parts.items() if s.kind == "Resource"),
    }
