"""`orgloop catalog validate` on bad input: a clear error naming file, document and field, the
right exit code, quickly and in little memory, whatever the file holds."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orgloop.catalog.cli_validate import run_validate
from orgloop.catalog.descriptors import YamlRefused, load_yaml
from tests.conformance import suite

TEAM = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
"""
SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_nesting() -> str:
    return "[" * 300_000 + "]" * 300_000


def ten_megabytes() -> str:
    return SERVICE.replace("spec:", "  description: " + "x" * 10_500_000 + "\nspec:")


def report(paths: list[Path]) -> tuple[dict[str, Any], int]:
    output, code = run_validate([str(p) for p in paths], as_json=True)
    return json.loads(output), code


def catalog(tmp_path: Path, *texts: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text("---\n".join(texts), encoding="utf-8")
    return path


BAD = [
    (
        "malformed-yaml",
        lambda: TEAM + "---\n" + "kind: [Component\nmetadata: x\n",
        2,
        1,
        "kind[1]",
        "line 7",
    ),
    (
        "unknown-kind",
        lambda: TEAM + "---\n" + SERVICE.replace("Component", "Widget"),
        1,
        1,
        "kind",
        "unknown kind 'Widget'",
    ),
    (
        "missing-owner",
        lambda: TEAM + "---\n" + SERVICE.replace(", owner: team-a", ""),
        1,
        1,
        "spec.owner",
        "is required",
    ),
    (
        "duplicate-name",
        lambda: TEAM + "---\n" + TEAM,
        1,
        1,
        "metadata.name",
        "duplicate entity group:default/team-a",
    ),
    (
        "dangling-ref",
        lambda: SERVICE.replace("team-a", "team-x") + "---\n" + TEAM,
        1,
        0,
        "spec.owner",
        "group:default/team-x, which is not in the catalog",
    ),
    ("not-a-mapping", lambda: TEAM + "---\njust a string\n", 1, 1, "", "not a string"),
    (
        "billion-laughs",
        lambda: TEAM + "---\n" + billion_laughs(),
        2,
        1,
        "g[0]",
        "expands to more than",
    ),
    ("deep-nesting", deep_nesting, 2, 0, "", "nesting deeper than 64 levels"),
    ("recursive-alias", lambda: "a: &a [*a]\n", 2, 0, "a[0]", "refers to a node that contains it"),
    ("ten-megabytes", ten_megabytes, 2, None, "", "limited to 5,242,880 bytes"),
]


@pytest.mark.parametrize(
    ("make", "exit_code", "document", "path", "message"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input_gives_one_clear_error_quickly_and_in_little_memory(
    tmp_path: Path,
    make: Callable[[], str],
    exit_code: int,
    document: int | None,
    path: str,
    message: str,
) -> None:
    file = catalog(tmp_path, make())
    tracemalloc.start()
    started = time.perf_counter()
    result, code = report([file])
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == exit_code
    assert len(result["errors"]) == 1, result["errors"]
    error = result["errors"][0]
    assert (error["file"], error["document"], error["path"]) == (str(file), document, path)
    assert message in error["message"]
    assert elapsed < 1.0
    assert peak < 64 * 1024 * 1024


def test_json_report_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    result, code = report([catalog(tmp_path, TEAM, SERVICE.replace("team-a", "team-x"))])
    assert code == 1
    assert result == {
        "entities": {"Component": 1, "Group": 1},
        "relations": 2,
        "errors": [
            {
                "file": str(tmp_path / "catalog.yaml"),
                "document": 1,
                "path": "spec.owner",
                "message": "refers to group:default/team-x, which is not in the catalog",
            }
        ],
        "skipped": [],
    }


def test_text_report_lists_counts_relations_and_each_error(tmp_path: Path) -> None:
    file = catalog(tmp_path, TEAM, SERVICE.replace("lifecycle: production, ", ""))
    output, code = run_validate([str(file)])
    assert code == 1
    assert output.splitlines() == [
        "2 entities",
        "  Component  1",
        "  Group      1",
        "2 relations",
        "1 error",
        f"  {file}:1  spec.lifecycle  is required for kind Component",
    ]


def test_a_valid_catalog_exits_zero(tmp_path: Path) -> None:
    output, code = run_validate([str(catalog(tmp_path, TEAM, SERVICE))])
    assert (code, output.splitlines()[-1]) == (0, "valid")


def test_the_backstage_examples_fail_only_orgloop_team_rule() -> None:
    folder = suite("backstage-examples")
    result, code = report([folder])
    assert code == 1
    assert result["relations"] == 150
    assert {e["path"] for e in result["errors"]} == {"spec.owner"}
    assert run_validate([str(folder)], mode="backstage")[1] == 0


@pytest.mark.parametrize("paths", [[], ["/nonexistent/catalog.yaml"]], ids=["none", "missing"])
def test_missing_input_exits_two(paths: list[str]) -> None:
    assert run_validate(paths)[1] == 2


@pytest.mark.parametrize(
    ("text", "document", "line"),
    [
        pytest.param(TEAM + "---\n" + "x: " + "[" * 65 + "]" * 65 + "\n", 1, 6, id="second-doc"),
        pytest.param("a: {b: " + "{c: " * 70 + "1" + "}" * 71 + "\n", 0, 1, id="mappings"),
    ],
)
def test_nesting_beyond_the_limit_is_refused_by_our_own_bound(
    text: str, document: int, line: int
) -> None:
    with pytest.raises(YamlRefused) as refused:
        list(load_yaml(text))
    assert refused.value.message == "nesting deeper than 64 levels"
    assert (refused.value.document, refused.value.line) == (document, line)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: '" + "[" * 200 + "'\n", id="single-quoted"),
        pytest.param('a: "' + "{" * 200 + '\\""\n', id="double-quoted"),
        pytest.param("a: 1  # " + "[" * 200 + "\n", id="comment"),
        pytest.param("a: it's " + "[" * 3 + "\nb: '" + "[" * 100 + "'\n", id="apostrophe"),
    ],
)
def test_brackets_inside_scalars_and_comments_do_not_count_as_nesting(text: str) -> None:
    [(_, _, value)] = list(load_yaml(text))
    assert value["a"]
