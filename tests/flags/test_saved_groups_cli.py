"""``orgloop flags groups ...`` against a live server: create from options and files, list, show,
delete, and the refusal while a flag rule still uses the group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.flags.cli_runner import run
from tests.live import LiveServer


@pytest.mark.parametrize(
    ("content", "values"),
    [
        pytest.param("u1\nu2\n\n123\n", ["u1", "u2", "123"], id="one-per-line"),
        pytest.param('["u1", 123]', ["u1", 123], id="json-list"),
        pytest.param("- u1\n- 123\n", ["u1", 123], id="yaml-list"),
    ],
)
def test_values_come_from_a_file_and_options(
    server: LiveServer, tmp_path: Path, content: str, values: list[object]
) -> None:
    file = tmp_path / "ids"
    file.write_text(content)
    created = run("groups", "create", "beta", "--owner", "checkout", "--values-file", str(file),
                  "--value", "u9")  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert f"{len(values) + 1} values" in created.stdout
    assert json.loads(run("groups", "show", "beta").stdout)["values"] == [*values, "u9"]


def test_list_show_and_delete_a_group_a_rule_no_longer_uses(
    server: LiveServer, tmp_path: Path
) -> None:
    assert run("groups", "create", "staff", "--owner", "checkout", "--value", "u1").exit_code == 0
    listed = run("groups", "list", "--json")
    assert [(g["key"], g["values"]) for g in json.loads(listed.stdout)] == [("staff", ["u1"])]
    assert "staff" in run("groups", "list").stdout
    run("create", "f", "--owner", "checkout")
    rules = tmp_path / "rules.yaml"
    rules.write_text("- kind: force\n  condition: {id: {$inGroup: staff}}\n  value: true\n")
    assert run("set-rules", "f", "--env", "production", str(rules)).exit_code == 0
    refused = run("groups", "delete", "staff")
    assert refused.exit_code == 1
    assert "f (production)" in refused.stderr
    rules.write_text("[]")
    run("set-rules", "f", "--env", "production", str(rules))
    assert run("groups", "delete", "staff").exit_code == 0
    assert run("groups", "show", "staff").exit_code == 2


def test_a_rule_naming_an_unknown_group_exits_2_with_the_path(
    server: LiveServer, tmp_path: Path
) -> None:
    run("create", "f", "--owner", "checkout")
    rules = tmp_path / "rules.yaml"
    rules.write_text("- kind: force\n  condition: {id: {$inGroup: nobody}}\n  value: true\n")
    result = run("set-rules", "f", "--env", "production", str(rules))
    assert result.exit_code == 2
    assert "rules[0].condition.id.$inGroup" in result.stderr
    assert "unknown saved group 'nobody'" in result.stderr
