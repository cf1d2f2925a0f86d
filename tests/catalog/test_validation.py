"""Validation: Backstage's descriptor rules, and orgloop's team and annotation rules on top."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from orgloop.catalog.descriptors import parse_descriptors
from orgloop.catalog.entities import Entity, Issue, parse_ref
from orgloop.catalog.locations import load_paths
from orgloop.catalog.validation import Mode, validate
from tests.conformance import suite


def doc(
    kind: str, name: str, spec: dict[str, Any] | None = None, **metadata: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, **metadata},
    }
    if spec is not None:
        document["spec"] = spec
    return document


def team(name: str = "team-a", type_: str = "team", **metadata: Any) -> dict[str, Any]:
    return doc("Group", name, {"type": type_, "children": []}, **metadata)


def service(name: str = "svc", owner: Any = "team-a", **metadata: Any) -> dict[str, Any]:
    spec = {"type": "service", "lifecycle": "production", "owner": owner}
    return doc("Component", name, spec, **metadata)


def entities_of(*documents: dict[str, Any], file: str = "catalog.yaml") -> list[Entity]:
    entities, issues = parse_descriptors(yaml.safe_dump_all(documents), file=file)
    assert issues == []
    return entities


def problems(*documents: dict[str, Any], mode: Mode = "orgloop") -> list[tuple[int | None, str]]:
    return [(i.document, i.path) for i in validate(entities_of(*documents), mode=mode)]


def test_backstage_examples_are_valid_backstage_catalogs() -> None:
    loaded = load_paths([suite("backstage-examples") / "all.yaml"])
    assert validate(loaded.entities, mode="backstage") == []


def test_orgloop_mode_reports_the_example_services_owned_by_a_person() -> None:
    loaded = load_paths([suite("backstage-examples") / "all.yaml"])
    issues = validate(loaded.entities)
    assert {(i.file.rsplit("/", 1)[-1], i.path) for i in issues} == {
        ("playback-order-component.yaml", "spec.owner"),
        ("searcher-component.yaml", "spec.owner"),
        ("shuffle-api-component.yaml", "spec.owner"),
    }
    assert all("user:default/guest is a User" in i.message for i in issues)


def test_a_valid_catalog_has_no_issues() -> None:
    annotations = {"orgloop.dev/team-type": "stream-aligned"}
    assert problems(team(annotations=annotations), service()) == []


REQUIRED: list[tuple[str, dict[str, Any]]] = [
    ("Component", {"type": "service", "lifecycle": "production", "owner": "team-a"}),
    ("API", {"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "x"}),
    ("Resource", {"type": "database", "owner": "team-a"}),
    ("System", {"owner": "team-a"}),
    ("Domain", {"owner": "team-a"}),
    ("Group", {"type": "team", "children": []}),
]
REQUIRED_CASES = [(kind, spec, field) for kind, spec in REQUIRED for field in spec]


@pytest.mark.parametrize(
    ("kind", "spec", "missing"), REQUIRED_CASES, ids=[f"{k}-{f}" for k, _, f in REQUIRED_CASES]
)
def test_each_required_spec_field_is_reported_when_missing(
    kind: str, spec: dict[str, Any], missing: str
) -> None:
    incomplete = {k: v for k, v in spec.items() if k != missing}
    found = problems(team(), doc(kind, "it", incomplete), mode="backstage")
    assert (1, f"spec.{missing}") in found


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a", True),
        ("petstore_v2.api-1", True),
        ("X" * 63, True),
        ("X" * 64, False),
        ("-leading", False),
        ("trailing.", False),
        ("has space", False),
        ("slash/name", False),
    ],
)
def test_names_follow_backstage_format(name: str, valid: bool) -> None:
    found = problems(doc("Location", name, {"targets": []}), mode="backstage")
    assert (found == []) is valid
    if not valid:
        assert found == [(0, "metadata.name")]


def test_unknown_kind_is_reported_with_a_hint_for_wrong_case() -> None:
    entities = entities_of(doc("component", "svc", {}), doc("Widget", "w", {}))
    issues = validate(entities)
    assert [(i.path, i.document) for i in issues] == [("kind", 0), ("kind", 1)]
    assert "did you mean 'Component'" in issues[0].message
    assert "known kinds" in issues[1].message


def test_wrong_api_version_for_a_builtin_kind_is_reported() -> None:
    document = team()
    document["apiVersion"] = "example.com/v1"
    assert problems(document) == [(0, "apiVersion")]


def test_dangling_references_name_the_missing_entity() -> None:
    component = service(owner="team-a")
    component["spec"].update(system="nowhere", providesApis=["ghost"])
    issues = validate(entities_of(team(), component))
    assert [(i.path, i.message) for i in issues] == [
        ("spec.providesApis[0]", "refers to api:default/ghost, which is not in the catalog"),
        ("spec.system", "refers to system:default/nowhere, which is not in the catalog"),
    ]


def test_known_refs_satisfy_references_to_entities_outside_the_files() -> None:
    issues = validate(entities_of(service()), known=[parse_ref("group:default/team-a")])
    assert issues == []


def test_known_entities_let_the_team_rule_check_owners_outside_the_files() -> None:
    organisation = entities_of(team("team-a", type_="organization"))[0]
    issues = validate(entities_of(service()), known=[organisation])
    assert [(i.path, "type 'organization'" in i.message) for i in issues] == [("spec.owner", True)]


def test_depends_on_needs_an_explicit_kind() -> None:
    component = service()
    component["spec"]["dependsOn"] = ["artists-db"]
    issues = validate(entities_of(team(), component))
    assert [i.path for i in issues] == ["spec.dependsOn[0]"]
    assert "has no kind" in issues[0].message


def test_duplicate_entities_across_files_are_reported_on_the_second() -> None:
    first = entities_of(team("team-a"), file="a.yaml")
    second = entities_of(team("Team-A"), file="b.yaml")
    issues = validate(first + second)
    assert [(i.file, i.document, i.path) for i in issues] == [("b.yaml", 0, "metadata.name")]
    assert "first defined in a.yaml [document 0]" in issues[0].message


@pytest.mark.parametrize(
    ("owner_doc", "message"),
    [
        (doc("User", "jdoe", {"memberOf": []}), "user:default/jdoe is a User"),
        (team("acme", type_="organization"), "is a Group of type 'organization'"),
    ],
    ids=["user", "organization"],
)
def test_a_service_must_be_owned_by_a_team(owner_doc: dict[str, Any], message: str) -> None:
    owner = f"{owner_doc['kind'].lower()}:{owner_doc['metadata']['name']}"
    entities = entities_of(owner_doc, service(owner=owner))
    issues = validate(entities)
    assert [(i.document, i.path) for i in issues] == [(1, "spec.owner")]
    assert message in issues[0].message
    assert validate(entities, mode="backstage") == []


def test_a_service_with_two_owners_is_reported() -> None:
    issues = validate(entities_of(team("a"), team("b"), service(owner=["a", "b"])))
    assert [(i.path, i.message) for i in issues] == [
        ("spec.owner", "must be a single string (exactly one)")
    ]


def test_non_service_components_may_be_owned_by_a_person() -> None:
    website = service(owner="user:jdoe")
    website["spec"]["type"] = "website"
    assert problems(doc("User", "jdoe", {"memberOf": []}), website) == []


ANNOTATION_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("team-type-value", team(annotations={"orgloop.dev/team-type": "feature"}), "not a team type"),
    (
        "team-type-on-component",
        service(annotations={"orgloop.dev/team-type": "platform"}),
        "Group of type team",
    ),
    (
        "service-name-spaces",
        service(annotations={"orgloop.dev/service-name": "my service"}),
        "no spaces",
    ),
    ("unknown-key", service(annotations={"orgloop.dev/servicename": "svc"}), "unknown orgloop"),
]


@pytest.mark.parametrize(
    ("document", "message"),
    [(d, m) for _, d, m in ANNOTATION_CASES],
    ids=[i for i, _, _ in ANNOTATION_CASES],
)
def test_orgloop_annotations_are_checked(document: dict[str, Any], message: str) -> None:
    documents = [team(), document] if document["kind"] == "Component" else [document]
    issues: list[Issue] = validate(entities_of(*documents))
    assert len(issues) == 1
    assert issues[0].path.startswith("metadata.annotations.orgloop.dev/")
    assert message in issues[0].message


def test_two_services_with_one_service_name_are_reported() -> None:
    named = service("billing-v2", annotations={"orgloop.dev/service-name": "billing"})
    found = problems(team(), service("billing"), named)
    assert found == [(2, "metadata.annotations.orgloop.dev/service-name")]


def test_api_definition_may_be_a_placeholder_that_is_never_fetched() -> None:
    api = doc(
        "API",
        "petstore",
        {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "team-a",
            "definition": {"$text": "https://example.com/openapi.yaml"},
        },
    )
    assert problems(team(), api) == []
    api["spec"]["definition"] = {"url": "x"}
    assert problems(team(), api) == [(1, "spec.definition")]


@pytest.mark.parametrize(
    ("metadata", "path"),
    [
        ({"namespace": "Bad_NS"}, "metadata.namespace"),
        ({"tags": ["Java"]}, "metadata.tags[0]"),
        ({"labels": {"bad key!": "x"}}, "metadata.labels.bad key!"),
        ({"annotations": {"-bad/x": "y"}}, "metadata.annotations.-bad/x"),
    ],
    ids=["namespace", "tag", "label-key", "annotation-key"],
)
def test_metadata_formats_follow_backstage(metadata: dict[str, Any], path: str) -> None:
    assert problems(doc("Location", "loc", {"targets": []}, **metadata)) == [(0, path)]
