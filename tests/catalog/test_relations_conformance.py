"""Relations derived from descriptors match Backstage's, on its own example catalog and per field."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.catalog.descriptors import parse_descriptors
from orgloop.catalog.entities import EntityRef, EntityRefError, parse_ref
from orgloop.catalog.locations import load_paths
from orgloop.catalog.relations import REF_FIELDS, derive_relations
from tests.conformance import suite

INVERSES = {
    ("ownedBy", "ownerOf"),
    ("partOf", "hasPart"),
    ("providesApi", "apiProvidedBy"),
    ("consumesApi", "apiConsumedBy"),
    ("dependsOn", "dependencyOf"),
    ("childOf", "parentOf"),
    ("memberOf", "hasMember"),
}
INVERSE = dict(INVERSES) | {b: a for a, b in INVERSES}


def expected_relations(folder: Path) -> set[tuple[str, str, str]]:
    rows = (folder / "expected-relations.tsv").read_text(encoding="utf-8").splitlines()
    return {tuple(r.split("\t")[:3]) for r in rows if r.strip() and not r.startswith("#")}  # type: ignore[misc]


def test_backstage_examples_give_exactly_the_expected_relations() -> None:
    folder = suite("backstage-examples")
    # Both the directory and its index Location: every file is reached twice, read once.
    loaded = load_paths([folder, folder / "all.yaml"])
    assert loaded.issues == []
    got = {relation.as_tuple() for relation in derive_relations(loaded.entities)}
    expected = expected_relations(folder)
    missing, extra = sorted(expected - got), sorted(got - expected)
    assert (missing, extra) == ([], []), f"missing {missing}\nunexpected {extra}"
    assert len(got) == 150


def test_relations_of_an_entity_defined_in_both_directions_are_counted_once() -> None:
    folder = suite("backstage-examples")
    loaded = load_paths([folder / "acme" / "org.yaml"])
    relations = [r.as_tuple() for r in derive_relations(loaded.entities)]
    pair = ("group:default/infrastructure", "childOf", "group:default/acme-corp")
    assert relations.count(pair) == 1  # from acme-corp's children and infrastructure's parent


def _entity_yaml(kind: str, spec: str, namespace: str = "default") -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: {kind}\n"
        f"metadata: {{name: me, namespace: {namespace}}}\nspec: {spec}\n"
    )


FIELD_CASES = [
    ("Component", "{owner: team-a}", "ownedBy", "group:default/team-a"),
    ("Component", "{owner: 'user:guest'}", "ownedBy", "user:default/guest"),
    ("Component", "{subcomponentOf: parent}", "partOf", "component:default/parent"),
    ("Component", "{providesApis: [petstore]}", "providesApi", "api:default/petstore"),
    ("Component", "{consumesApis: [petstore]}", "consumesApi", "api:default/petstore"),
    ("Component", "{dependsOn: ['resource:db']}", "dependsOn", "resource:default/db"),
    ("Component", "{dependencyOf: ['component:x']}", "dependencyOf", "component:default/x"),
    ("Component", "{system: portal}", "partOf", "system:default/portal"),
    ("API", "{owner: team-a, system: portal}", "partOf", "system:default/portal"),
    ("Resource", "{dependsOn: ['resource:disk']}", "dependsOn", "resource:default/disk"),
    ("System", "{domain: audio}", "partOf", "domain:default/audio"),
    ("Domain", "{subdomainOf: audio}", "partOf", "domain:default/audio"),
    ("User", "{memberOf: [team-a]}", "memberOf", "group:default/team-a"),
    ("Group", "{parent: dept}", "childOf", "group:default/dept"),
    ("Group", "{children: [team-a]}", "parentOf", "group:default/team-a"),
    ("Group", "{members: [jdoe]}", "hasMember", "user:default/jdoe"),
]


@pytest.mark.parametrize(
    ("kind", "spec", "relation", "target"),
    FIELD_CASES,
    ids=[f"{kind}-{spec.strip('{}').split(':')[0]}-{rel}" for kind, spec, rel, _ in FIELD_CASES],
)
def test_each_reference_field_yields_its_relation_and_the_inverse(
    kind: str, spec: str, relation: str, target: str
) -> None:
    entities, issues = parse_descriptors(_entity_yaml(kind, spec), file="me.yaml")
    assert issues == []
    got = {r.as_tuple() for r in derive_relations(entities)}
    me = f"{kind.lower()}:default/me"
    assert (me, relation, target) in got
    assert (target, INVERSE[relation], me) in got


def test_references_default_to_the_referring_entitys_namespace() -> None:
    entities, _ = parse_descriptors(_entity_yaml("Component", "{owner: team-a}", "ops"), file="f")
    got = {r.as_tuple() for r in derive_relations(entities)}
    assert ("component:ops/me", "ownedBy", "group:ops/team-a") in got


REFS = [
    ("team-a", "Group", EntityRef("Group", "default", "team-a")),
    ("user:jdoe", "Group", EntityRef("user", "default", "jdoe")),
    ("ops/team-a", "Group", EntityRef("Group", "ops", "team-a")),
    ("component:ops/svc", None, EntityRef("component", "ops", "svc")),
    ("ns/name:with-colon", "Group", EntityRef("Group", "ns", "name:with-colon")),
]


@pytest.mark.parametrize(("text", "default_kind", "expected"), REFS, ids=[r[0] for r in REFS])
def test_parse_ref_fills_in_defaults_like_backstage(
    text: str, default_kind: str | None, expected: EntityRef
) -> None:
    ref = parse_ref(text, default_kind=default_kind)
    assert (ref.kind, ref.namespace, ref.name) == (expected.kind, expected.namespace, expected.name)


@pytest.mark.parametrize("text", ["", ":x", "group:/x", "group:", "x/", "no-kind"])
def test_parse_ref_rejects_malformed_references(text: str) -> None:
    with pytest.raises(EntityRefError):
        parse_ref(text)


def test_refs_compare_case_insensitively_and_print_lowercased() -> None:
    assert parse_ref("Group:Default/Team-A") == parse_ref("group:default/team-a")
    assert str(parse_ref("team-A", default_kind="Group")) == "group:default/team-a"


_names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)


@given(
    kind=st.sampled_from(sorted(REF_FIELDS)),
    name=_names,
    targets=st.lists(_names, min_size=1, max_size=3),
)
def test_every_relation_comes_with_its_inverse(kind: str, name: str, targets: list[str]) -> None:
    spec = {f.name: (targets if f.many else targets[0]) for f in REF_FIELDS[kind]}
    for key in ("dependsOn", "dependencyOf"):
        if key in spec:
            spec[key] = [f"resource:{t}" for t in targets]
    text = _entity_yaml(kind, str(spec).replace("'", '"')).replace("name: me", f"name: {name}")
    entities, issues = parse_descriptors(text, file="f")
    assert issues == []
    relations = {r.as_tuple() for r in derive_relations(entities)}
    assert relations
    for source, kind_of_relation, target in relations:
        assert (target, INVERSE[kind_of_relation], source) in relations
