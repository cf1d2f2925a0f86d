"""Writing descriptors back: reading what was written gives the same entities, byte-stable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgloop.catalog.descriptors import parse_descriptors
from orgloop.catalog.entities import Entity, Metadata
from orgloop.catalog.locations import load_paths
from orgloop.catalog.writer import dump_entities, plan_files, write_catalog
from orgloop.kernel.errors import InvalidInput
from tests.conformance import suite


def by_ref(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: e.ref.key)


def reread(text: str) -> list[Entity]:
    entities, issues = parse_descriptors(text, file="written.yaml")
    assert issues == []
    return entities


@pytest.fixture(scope="module")
def examples() -> list[Entity]:
    return load_paths([suite("backstage-examples") / "all.yaml"]).entities


def test_backstage_examples_survive_a_round_trip(examples: list[Entity]) -> None:
    text = dump_entities(examples)
    assert by_ref(reread(text)) == by_ref(examples)
    assert dump_entities(reread(text)) == text


@pytest.mark.parametrize("layout", ["kind", "entity"])
def test_written_directories_read_back_as_the_same_catalog(
    examples: list[Entity], layout: Any, tmp_path: Path
) -> None:
    plain = [e for e in examples if e.kind != "Location"]  # their targets point at the sources
    written = write_catalog(plain, tmp_path, layout=layout)
    assert len(written) == (7 if layout == "kind" else len(plain))
    loaded = load_paths([tmp_path])
    assert loaded.issues == []
    assert by_ref(loaded.entities) == by_ref(plain)


def test_file_names_per_layout(examples: list[Entity]) -> None:
    assert "components.yaml" in plan_files(examples)
    assert "user/development/guest.yaml" in plan_files(examples, layout="entity")


def test_strings_that_look_like_other_scalars_stay_strings() -> None:
    spec = {"version": "1e3", "mode": "0o17", "on": "yes", "date": "2024-01-02", "empty": ""}
    entity = Entity("backstage.io/v1alpha1", "Location", Metadata(name="x"), spec)
    assert reread(dump_entities([entity])) == [entity]


def test_names_unusable_as_file_names_are_refused() -> None:
    entity = Entity("backstage.io/v1alpha1", "Group", Metadata(name="../etc"), {})
    with pytest.raises(InvalidInput):
        plan_files([entity], layout="entity")


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_name = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?", fullmatch=True)
_metadata = st.builds(
    Metadata,
    name=_name,
    namespace=st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
    title=st.none() | _text.filter(bool),
    description=st.none() | _text.filter(bool),
    labels=st.dictionaries(_name, _name, max_size=2),
    annotations=st.dictionaries(_name, _text, max_size=2),
    tags=st.lists(_name, max_size=2),
    links=st.lists(st.fixed_dictionaries({"url": _text.filter(bool)}), max_size=2),
)
_entity = st.builds(
    Entity,
    api_version=st.just("backstage.io/v1alpha1"),
    kind=st.sampled_from(["Component", "Group", "Location"]),
    metadata=_metadata,
    spec=st.dictionaries(_text, _json, max_size=4),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_entity, max_size=3, unique_by=lambda e: e.ref.key))
def test_reading_what_was_written_gives_the_same_entities(entities: list[Entity]) -> None:
    assert by_ref(reread(dump_entities(entities))) == by_ref(entities)
