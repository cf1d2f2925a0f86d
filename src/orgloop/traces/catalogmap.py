"""Maps runtime ``service.name`` values to catalog Components, and lists declared calls.

A Component reports the ``service.name`` in its ``orgloop.dev/service-name`` annotation, else its
``metadata.name``. A virtual node (a database, a broker, a peer) maps to a Resource or Component
of that name when the catalog has one. A declared call is a Component's ``dependsOn`` target, or
the provider of an API it ``consumesApis``. Read through the catalog's service only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from orgloop.catalog.models import EntitySummary
from orgloop.catalog.service import CatalogService, EntityFilter
from orgloop.traces import semconv

_PAGE = 500


@dataclass
class CatalogIndex:
    by_service: dict[str, EntitySummary] = field(default_factory=dict)
    by_name: dict[str, EntitySummary] = field(default_factory=dict)
    declared: dict[tuple[str, str], str] = field(default_factory=dict)
    service_of_ref: dict[str, str] = field(default_factory=dict)

    def component_of(self, service: str) -> EntitySummary | None:
        """The Component that reports this ``service.name``, or None."""
        return self.by_service.get(service) or self.by_service.get(service.lower())

    def entity_of(self, node: str) -> EntitySummary | None:
        """The Component for a service, else a catalog entity (e.g. a Resource) of that name."""
        return self.component_of(node) or self.by_name.get(node.lower())

    def declares(self, client: str, server: str) -> bool:
        a, b = self.entity_of(client), self.entity_of(server)
        return a is not None and b is not None and (a.ref, b.ref) in self.declared

    def node_name(self, ref: str) -> str:
        """How a declared entity appears in the runtime graph (its service name)."""
        return self.service_of_ref.get(ref, ref.split("/")[-1])


def _all(catalog: CatalogService, kind: str) -> list[EntitySummary]:
    found: list[EntitySummary] = []
    while True:
        page = catalog.list_entities(EntityFilter(kind=kind), limit=_PAGE, offset=len(found))
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found


def service_name(component: EntitySummary) -> str:
    return component.annotations.get(semconv.SERVICE_NAME_ANNOTATION) or component.name


def read_index(catalog: CatalogService) -> CatalogIndex:
    index = CatalogIndex()
    components = _all(catalog, "Component")
    for resource in _all(catalog, "Resource"):
        index.by_name[resource.name.lower()] = resource
    providers: dict[str, list[str]] = defaultdict(list)
    consumes: list[tuple[str, str]] = []
    for summary in components:
        name = service_name(summary)
        index.by_service[name] = summary
        index.by_service.setdefault(name.lower(), summary)
        index.by_name.setdefault(summary.name.lower(), summary)
        index.service_of_ref[summary.ref] = name
        detail = catalog.get_entity(summary.ref)
        for relation in detail.relations:
            if relation.type == "dependsOn":
                index.declared[(summary.ref, relation.target)] = "dependsOn"
            elif relation.type == "providesApi":
                providers[relation.target].append(summary.ref)
            elif relation.type == "consumesApi":
                consumes.append((summary.ref, relation.target))
    for consumer, api in consumes:
        for provider in providers.get(api, []):
            index.declared.setdefault((consumer, provider), api)
    return index
