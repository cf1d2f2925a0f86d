"""The offline ``contracts diff`` command: output formats, exit codes and the policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgloop.contracts.cli_diff import run
from orgloop.contracts.errors import PolicyInvalid
from orgloop.contracts.openapi.policy import parse_policy
from tests.contracts.builders import pets_spec


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    base, rev = pets_spec(), pets_spec()
    rev["paths"]["/pets/{id}"]["get"]["parameters"][1]["schema"]["enum"] = ["all"]
    rev["paths"]["/pets/{id}"]["get"]["operationId"] = "fetchPet"
    rev["info"]["version"] = "1.1.0"
    return _write(tmp_path, "base.json", base), _write(tmp_path, "new.json", rev)


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_json_output_has_the_documented_shape(pair: tuple[str, str]) -> None:
    output, code = run(*pair, fmt="json")
    payload = json.loads(output)
    assert set(payload) == {"changes", "summary"}
    assert payload["summary"] == {"error": 1, "warning": 0, "info": 3}
    first = payload["changes"][0]
    assert first == {
        "id": "request-parameter-enum-value-removed",
        "level": "error",
        "operation": "GET /pets/{id}",
        "path": "/paths/~1pets~1{id}/get/parameters/query/fields/schema",
        "message": first["message"],
    }
    assert code == 1
    assert "api-major-version-not-bumped" in {c["id"] for c in payload["changes"]}


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_name_rule_and_operation(pair: tuple[str, str], fmt: str) -> None:
    output, _ = run(*pair, fmt=fmt)
    assert "request-parameter-enum-value-removed" in output
    assert "GET /pets/{id}" in output


def test_fail_on_decides_the_exit_code(tmp_path: Path) -> None:
    base, rev = pets_spec(), pets_spec()
    rev["paths"]["/pets/{id}"]["get"]["operationId"] = "fetchPet"
    paths = _write(tmp_path, "a.json", base), _write(tmp_path, "b.json", rev)
    assert run(*paths, fail_on="error")[1] == 0
    assert run(*paths, fail_on="info")[1] == 1


def test_identical_documents_report_nothing(pair: tuple[str, str]) -> None:
    assert run(pair[0], pair[0]) == ("No changes found.", 0)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_invalid_input_exits_2_with_location(tmp_path: Path, fmt: str) -> None:
    good = _write(tmp_path, "good.json", pets_spec())
    bad = _write(tmp_path, "bad.yaml", "openapi: 3.0.0\ninfo: {}\n")
    output, code = run(good, bad, fmt=fmt)
    assert code == 2
    assert "bad.yaml#/paths" in output


def test_policy_ignores_and_relevels(pair: tuple[str, str], tmp_path: Path) -> None:
    policy = _write(
        tmp_path,
        "policy.yaml",
        "ignore:\n  - id: request-parameter-enum-value-removed\n    operation: GET /pets/{id}\n"
        "    reason: clients never sent 'short'\nlevels:\n  api-operation-id-removed: warning\n"
        "versioning: false\n",
    )
    output, code = run(*pair, fmt="json", fail_on="warning", policy_path=policy)
    payload = json.loads(output)
    assert "request-parameter-enum-value-removed" not in {c["id"] for c in payload["changes"]}
    assert payload["summary"]["warning"] == 1
    assert code == 1


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(
            {"ignore": [{"id": "api-tag-added"}]}, "ignore[0].reason", id="ignore-without-reason"
        ),
        pytest.param(
            {"levels": {"no-such-rule": "error"}}, "levels.no-such-rule", id="unknown-rule"
        ),
        pytest.param(
            {"levels": {"api-tag-added": "fatal"}}, "levels.api-tag-added", id="bad-level"
        ),
        pytest.param({"sunset-notice-days": -1}, "sunset-notice-days", id="negative-days"),
        pytest.param({"stability-threshold": "gold"}, "stability-threshold", id="bad-threshold"),
        pytest.param({"colour": "red"}, "colour", id="unknown-key"),
    ],
)
def test_bad_policies_are_refused_with_the_field(data: Any, where: str) -> None:
    with pytest.raises(PolicyInvalid) as err:
        parse_policy(data, source="policy.yaml")
    assert where in err.value.details["errors"][0]["path"]


def test_bad_policy_file_exits_2(pair: tuple[str, str], tmp_path: Path) -> None:
    policy = _write(tmp_path, "policy.yaml", "ignore:\n  - id: api-tag-added\n")
    output, code = run(*pair, policy_path=policy)
    assert code == 2
    assert "reason" in output
