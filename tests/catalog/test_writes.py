"""One-entity writes read and rewrite only what they touch, yet leave the catalog exactly as a
whole-catalog check and derivation would: the same relations, the same refusals, on SQLite
and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from orgloop.app import Services
from orgloop.catalog.descriptors import to_entity
from orgloop.catalog.entities import Entity, Issue, Source
from orgloop.catalog.locations import load_paths
from orgloop.catalog.models import DescriptorIn, ImportRequest
from orgloop.catalog.relations import derive_relations
from orgloop.catalog.service import EntityFilter
from orgloop.catalog.validation import validate
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.errors import InvalidInput
from tests.catalog.builders import SHOP, component, shop_payload

Relations = set[tuple[str, str, str]]


@pytest.fixture
def shop(services: Services) -> Services:
    entities = [DescriptorIn.model_validate(e) for e in shop_payload()]
    services.catalog.import_catalog(ImportRequest(entities=entities), actor=SYSTEM)
    return services


def _catalog(services: Services) -> list[Entity]:
    """Every stored entity, by ref, with the source it was written from."""
    entities = []
    for summary in services.catalog.list_entities(EntityFilter(), limit=500).items:
        detail = services.catalog.get_entity(summary.ref)
        file, _, document = (detail.source or "").rpartition("#")
        entity = to_entity(detail.descriptor, Source(file, int(document)), [])
        assert entity is not None
        entities.append(entity)
    return entities


def stored_relations(services: Services) -> Relations:
    """Every relation the API shows, entity by entity."""
    catalog = services.catalog
    return {
        (entity.ref.key, relation.type, relation.target)
        for entity in _catalog(services)
        for relation in catalog.get_entity(entity.ref.key).relations
    }


def derived_relations(services: Services) -> Relations:
    """The relations the whole stored catalog implies."""
    return {r.as_tuple() for r in derive_relations(_catalog(services))}


def shop_relations() -> int:
    """How many relations the shop's files imply, as ``catalog validate`` counts them."""
    return len(derive_relations(load_paths([SHOP]).entities))


def descriptor(services: Services, ref: str) -> dict[str, Any]:
    return copy.deepcopy(services.catalog.get_entity(ref).descriptor)


def put(services: Services, raw: dict[str, Any]) -> None:
    services.catalog.put_entity(DescriptorIn(descriptor=raw), actor=SYSTEM)


def test_import_stores_the_relations_of_the_whole_catalog(shop: Services) -> None:
    assert stored_relations(shop) == derived_relations(shop)
    assert len(stored_relations(shop)) == shop_relations()  # what `catalog validate` counts


def test_a_relation_declared_by_both_ends_stays_when_one_end_drops_it(shop: Services) -> None:
    team = descriptor(shop, "group:default/checkout")
    team["spec"]["members"] = ["grace"]  # tim still says memberOf: [checkout]
    put(shop, team)
    relations = stored_relations(shop)
    assert ("user:default/tim", "memberOf", "group:default/checkout") in relations
    assert ("group:default/checkout", "hasMember", "user:default/tim") in relations
    assert relations == derived_relations(shop)

    tim = descriptor(shop, "user:default/tim")
    tim["spec"]["memberOf"] = ["platform"]
    put(shop, tim)
    relations = stored_relations(shop)
    assert ("group:default/checkout", "hasMember", "user:default/tim") not in relations
    assert ("group:default/platform", "hasMember", "user:default/tim") in relations
    assert relations == derived_relations(shop)


def test_a_sequence_of_writes_keeps_the_relations_of_the_whole_catalog(shop: Services) -> None:
    def changed(ref: str, **spec: Any) -> dict[str, Any]:
        raw = descriptor(shop, ref)
        raw["spec"].update(spec)
        return raw

    writes: list[Callable[[], None]] = [
        lambda: put(shop, changed("component:default/cart", consumesApis=["orders-api"])),
        lambda: put(shop, changed("component:default/search", system="buying", owner="checkout")),
        lambda: put(
            shop, component("gift-cards", "checkout", providesApis=["payments-api"])["descriptor"]
        ),
        lambda: put(shop, changed("group:default/digital", children=["checkout"])),
        lambda: put(
            shop, changed("component:default/gift-cards", dependsOn=["resource:orders-db"])
        ),
        lambda: shop.catalog.delete_entity("component:default/gift-cards", actor=SYSTEM),
        lambda: put(shop, changed("component:default/orders", providesApis=[])),
    ]
    for write in writes:
        write()
        assert stored_relations(shop) == derived_relations(shop)


def test_a_reimport_that_changes_and_prunes_keeps_the_relations_whole(shop: Services) -> None:
    payload = [e for e in shop_payload() if e["descriptor"]["metadata"]["name"] != "shipping"]
    orders = next(e for e in payload if e["descriptor"]["metadata"]["name"] == "orders")
    orders["descriptor"]["spec"]["consumesApis"] = ["inventory-api"]
    request = ImportRequest(entities=[DescriptorIn.model_validate(e) for e in payload], prune=True)
    report = shop.catalog.import_catalog(request, actor=SYSTEM)
    assert report.updated == ["component:default/orders"]
    assert report.removed == ["component:default/shipping"]
    relations = stored_relations(shop)
    assert relations == derived_relations(shop)
    assert report.relations == len(relations)
    assert not any("component:default/shipping" in (s, o) for s, _, o in relations)


def _whole_catalog_issues(services: Services, change: Entity | None, deleted: str | None) -> Any:
    """What validating the whole catalog after the change reports, as the API's error list."""
    others = [e for e in _catalog(services) if change is None or e.ref != change.ref]
    entities = [e for e in others if e.ref.key != deleted]
    issues = validate([change, *entities] if change else entities)
    if deleted:
        issues = [
            Issue(i.file, i.document, i.path, f"{i.message} (after deleting {deleted})")
            for i in issues
        ]
    return [i.to_dict() for i in issues]


def _team_becomes(type_: str) -> Callable[[Services], dict[str, Any]]:
    def build(services: Services) -> dict[str, Any]:
        raw = descriptor(services, "group:default/fulfilment")
        raw["spec"]["type"] = type_
        raw["metadata"].pop("annotations", None)
        return raw

    return build


def _reused_service_name(services: Services) -> dict[str, Any]:
    raw = component("payments-v2", "checkout")["descriptor"]
    raw["metadata"]["annotations"]["orgloop.dev/service-name"] = "payments"
    return raw


def _dangling(services: Services) -> dict[str, Any]:
    return component("ghost", "checkout", consumesApis=["no-such-api"], system="nowhere")[
        "descriptor"
    ]


def _owned_by_a_person(services: Services) -> dict[str, Any]:
    return component("lonely", "user:tim")["descriptor"]


@pytest.mark.parametrize(
    "build",
    [_team_becomes("department"), _reused_service_name, _dangling, _owned_by_a_person],
    ids=["team-becomes-department", "service-name-reused", "dangling-refs", "owned-by-a-person"],
)
def test_a_refused_write_names_what_the_whole_catalog_check_names(
    shop: Services, build: Callable[[Services], dict[str, Any]]
) -> None:
    raw = build(shop)
    entity = to_entity(raw, Source("<request>", 0), [])
    assert entity is not None
    expected = _whole_catalog_issues(shop, entity, None)
    assert expected, "the change is meant to break a rule"
    before = stored_relations(shop)
    with pytest.raises(InvalidInput) as refused:
        put(shop, raw)
    assert refused.value.details["errors"] == expected
    assert stored_relations(shop) == before


@pytest.mark.parametrize(
    "ref",
    [
        "group:default/fulfilment",
        "api:default/catalog-api",
        "system:default/buying",
        "user:default/tim",
    ],
)
def test_a_refused_delete_names_what_the_whole_catalog_check_names(
    shop: Services, ref: str
) -> None:
    expected = _whole_catalog_issues(shop, None, ref)
    assert expected, "the entity is meant to be referred to"
    with pytest.raises(InvalidInput) as refused:
        shop.catalog.delete_entity(ref, actor=SYSTEM)
    assert refused.value.details["errors"] == expected
    assert shop.catalog.get_entity(ref).ref == ref


def test_a_team_that_stays_a_team_may_change(shop: Services) -> None:
    raw = descriptor(shop, "group:default/fulfilment")
    raw["metadata"]["description"] = "Orders, stock and parcels."
    put(shop, raw)
    assert shop.catalog.get_entity("group:default/fulfilment").description == (
        "Orders, stock and parcels."
    )
