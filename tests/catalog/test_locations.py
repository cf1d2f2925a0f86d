"""Following Location entities: relative targets, globs, cycles, and never a URL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from orgloop.catalog.entities import Entity
from orgloop.catalog.locations import load_paths
from tests.conformance import suite


def location(name: str, *targets: str, presence: str = "required") -> str:
    listed = "".join(f"    - {t}\n" for t in targets)
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {{name: {name}}}\n"
        f"spec:\n  presence: {presence}\n  targets:\n{listed}"
    )


def group(name: str) -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: {name}}}\n"
        "spec: {type: team, children: []}\n"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(entities: list[Entity]) -> list[str]:
    return [e.metadata.name for e in entities]


def test_targets_resolve_relative_to_the_location_file_recursively(tmp_path: Path) -> None:
    write(tmp_path / "teams" / "a.yaml", group("team-a"))
    write(tmp_path / "teams" / "more.yaml", location("more", "./deeper/b.yaml"))
    write(tmp_path / "teams" / "deeper" / "b.yaml", group("team-b"))
    root = write(tmp_path / "all.yaml", location("all", "./teams/a.yaml", "teams/more.yaml"))
    loaded = load_paths([root])
    assert loaded.issues == []
    assert names(loaded.entities) == ["all", "team-a", "more", "team-b"]


def test_glob_targets_expand_in_a_stable_order(tmp_path: Path) -> None:
    for name in ("c", "a", "b"):
        write(tmp_path / "groups" / f"{name}.yaml", group(name))
    write(tmp_path / "groups" / "notes.txt", "not a descriptor")
    root = write(tmp_path / "all.yaml", location("all", "./groups/*.yaml"))
    assert names(load_paths([root]).entities) == ["all", "a", "b", "c"]


def test_cycles_between_locations_read_each_file_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", location("a", "./b.yaml") + "---\n" + group("team-a"))
    write(tmp_path / "b.yaml", location("b", "./a.yaml", "./b.yaml"))
    loaded = load_paths([a, tmp_path])
    assert loaded.issues == []
    assert Counter(names(loaded.entities)) == {"a": 1, "team-a": 1, "b": 1}


def test_remote_targets_are_refused_and_not_fetched(tmp_path: Path) -> None:
    root = write(
        tmp_path / "all.yaml",
        location("all", "https://github.com/acme/catalog/blob/main/all.yaml", "./x.yaml"),
    )
    write(tmp_path / "x.yaml", group("x"))
    loaded = load_paths([root])
    assert [(i.document, i.path) for i in loaded.issues] == [(0, "spec.targets[0]")]
    assert "not fetched" in loaded.issues[0].message
    assert names(loaded.entities) == ["all", "x"]


def test_missing_targets_are_errors_unless_optional(tmp_path: Path) -> None:
    required = write(tmp_path / "r.yaml", location("r", "./gone.yaml"))
    optional = write(tmp_path / "o.yaml", location("o", "./gone.yaml", presence="optional"))
    issues = load_paths([required, optional]).issues
    assert [(Path(i.file).name, i.path) for i in issues] == [("r.yaml", "spec.targets[0]")]
    assert "not found" in issues[0].message
    assert not issues[0].unreadable


def test_targets_outside_the_root_are_refused_when_a_root_is_given(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", group("outside"))
    root = write(tmp_path / "catalog" / "all.yaml", location("all", "../outside.yaml"))
    assert names(load_paths([root]).entities) == ["all", "outside"]
    loaded = load_paths([root], root=tmp_path / "catalog")
    assert names(loaded.entities) == ["all"]
    assert "outside the catalog directory" in loaded.issues[0].message


def test_directories_contribute_their_yaml_files(tmp_path: Path) -> None:
    write(tmp_path / "x" / "a.yml", group("a"))
    write(tmp_path / "x" / "b.yaml", group("b"))
    write(tmp_path / "x" / "c.json", "{}")
    assert names(load_paths([tmp_path / "x"]).entities) == ["a", "b"]


def test_a_missing_path_is_unreadable_input(tmp_path: Path) -> None:
    loaded = load_paths([tmp_path / "nope.yaml"])
    assert loaded.unreadable
    assert [(i.document, i.message) for i in loaded.issues] == [(None, "no such file or directory")]


def test_backstage_examples_index_and_files_give_each_entity_once() -> None:
    folder = suite("backstage-examples")
    loaded = load_paths([folder / "all.yaml", folder])
    counts = Counter(e.kind for e in loaded.entities)
    assert counts == {
        "Group": 9,
        "User": 17,
        "Component": 13,
        "API": 9,
        "System": 3,
        "Domain": 3,
        "Resource": 1,
        "Location": 2,
    }
    assert len({e.ref for e in loaded.entities}) == len(loaded.entities)  # guest: two namespaces
