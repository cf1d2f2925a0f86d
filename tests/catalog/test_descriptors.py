"""Reading descriptor files: multi-document YAML into entities, with positions for every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.catalog.descriptors import parse_descriptors, parse_plain_scalar, read_descriptor_file
from orgloop.catalog.entities import Issue

TWO_DOCS = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
  title: Team A
  description: Builds things
  labels: {tier: gold}
  annotations: {orgloop.dev/team-type: platform}
  tags: [java]
  links: [{url: 'https://example.com', title: Home}]
  uid: kept-as-is
spec: {type: team, children: []}
---
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe, namespace: people}
"""


def test_each_document_becomes_an_entity_with_its_source() -> None:
    entities, issues = parse_descriptors(TWO_DOCS, file="org.yaml")
    assert issues == []
    group, user = entities
    assert (group.kind, group.metadata.name, group.metadata.namespace) == (
        "Group",
        "team-a",
        "default",
    )
    assert group.metadata.labels == {"tier": "gold"}
    assert group.metadata.annotations == {"orgloop.dev/team-type": "platform"}
    assert group.metadata.links == [{"url": "https://example.com", "title": "Home"}]
    assert group.metadata.extra == {"uid": "kept-as-is"}
    assert group.spec == {"type": "team", "children": []}
    # The empty document in between is skipped but still counted, as in Backstage.
    assert (user.source.file, user.source.document, user.source.line) == ("org.yaml", 2, 14)
    assert (str(user.ref), user.spec) == ("user:people/jdoe", {})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("2024-01-02", "2024-01-02"),
        ("010", 10),
        ("0o17", 15),
        ("0x1f", 31),
        ("1e3", 1000.0),
        ("true", True),
        ("~", None),
        ("1_000", "1_000"),
    ],
)
def test_plain_scalars_follow_yaml_1_2_like_backstage(text: str, value: object) -> None:
    assert parse_plain_scalar(text) == value


@given(st.text(max_size=30))
def test_plain_scalar_resolution_never_fails(text: str) -> None:
    parse_plain_scalar(text)


def test_merge_keys_are_ordinary_keys_as_in_yaml_1_2() -> None:
    text = "apiVersion: a/b\nkind: Location\nmetadata: {name: x}\nspec: {<<: {a: 1}}\n"
    entities, _ = parse_descriptors(text, file="f")
    assert entities[0].spec == {"<<": {"a": 1}}


ISSUE_CASES = [
    ("not-a-mapping", "- a\n- b\n", "", "not a list"),
    ("no-kind", "apiVersion: a/b\nmetadata: {name: x}\n", "kind", "is required"),
    ("no-name", "apiVersion: a/b\nkind: K\nmetadata: {}\n", "metadata.name", "is required"),
    ("spec-list", "apiVersion: a/b\nkind: K\nmetadata: {name: x}\nspec: []\n", "spec", "mapping"),
    (
        "stray-field",
        "apiVersion: a/b\nkind: K\nmetadata: {name: x}\nowner: me\n",
        "owner",
        "unknown",
    ),
    (
        "label-int",
        "apiVersion: a/b\nkind: K\nmetadata: {name: x, labels: {a: 1}}\n",
        "metadata.labels.a",
        "string",
    ),
    (
        "tags-text",
        "apiVersion: a/b\nkind: K\nmetadata: {name: x, tags: java}\n",
        "metadata.tags",
        "list",
    ),
    (
        "link-no-url",
        "apiVersion: a/b\nkind: K\nmetadata: {name: x, links: [{title: t}]}\n",
        "metadata.links[0].url",
        "required",
    ),
]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [c[1:] for c in ISSUE_CASES],
    ids=[c[0] for c in ISSUE_CASES],
)
def test_envelope_problems_name_the_field(text: str, path: str, message: str) -> None:
    _, issues = parse_descriptors("---\n" + text, file="bad.yaml")
    assert [(i.file, i.document, i.path) for i in issues] == [("bad.yaml", 0, path)]
    assert message in issues[0].message


def test_duplicate_keys_are_refused_with_their_path_and_line() -> None:
    text = "apiVersion: a/b\nkind: K\nmetadata: {name: x}\nspec:\n  owner: a\n  owner: b\n"
    _, issues = parse_descriptors(text, file="dup.yaml")
    assert issues == [Issue("dup.yaml", 0, "spec.owner", "line 6: duplicate key 'owner'")]
    assert issues[0].unreadable


def test_application_tags_are_refused() -> None:
    _, issues = parse_descriptors("a: !!python/object:os.system x\n", file="t.yaml")
    assert [(i.path, "unsupported tag" in i.message) for i in issues] == [("a", True)]


def test_files_are_read_as_utf8_with_or_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffapiVersion: a/b\nkind: K\nmetadata: {name: café}\n".encode())
    entities, issues = read_descriptor_file(path)
    assert (issues, entities[0].metadata.name) == ([], "café")


def test_a_file_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    _, issues = read_descriptor_file(path, name="latin1.yaml")
    assert [(i.file, i.document, i.unreadable) for i in issues] == [("latin1.yaml", None, True)]
    assert "not UTF-8" in issues[0].message
