"""``orgloop flags ...`` against a live server, as an engineer on the checkout team uses it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.flags.cli_runner import run
from tests.live import LiveServer


def test_create_set_rules_toggle_explain_kill_and_history(
    server: LiveServer, tmp_path: Path
) -> None:
    assert run("create", "new-checkout", "--owner", "checkout", "--tag", "q3").exit_code == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text("- kind: force\n  id: dutch\n  condition: {country: NL}\n  value: true\n")
    assert run("set-rules", "new-checkout", "--env", "production", str(rules)).exit_code == 0
    assert run("toggle", "new-checkout", "--env", "production", "--on").exit_code == 0
    listed = json.loads(run("list", "--owner", "checkout", "--json").stdout)
    assert listed[0]["environments"]["production"]["enabled"] is True
    explained = run(
        "explain", "new-checkout", "-e", "production", "--attributes", '{"country": "NL"}'
    )
    assert "new-checkout = true (force)" in explained.stdout
    assert "rule 1 (dutch)" in explained.stdout
    assert run("kill", "new-checkout", "--env", "production").exit_code == 0
    assert (
        json.loads(run("show", "new-checkout").stdout)["environments"]["production"]["enabled"]
        is False
    )
    actions = [
        e["action"] for e in json.loads(run("history", "new-checkout", "--json").stdout)["items"]
    ]
    assert actions == ["flag.kill", "flag.toggle.on", "flag.environment", "flag.create"]


def test_invalid_rules_exit_2_with_the_field_path(server: LiveServer, tmp_path: Path) -> None:
    run("create", "f", "--owner", "checkout")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"enabled": True, "rules": [
        {"kind": "experiment", "variations": [False, True], "weights": [0.2, 0.2]}]}))  # fmt: skip
    result = run("set-rules", "f", "--env", "production", str(rules))
    assert result.exit_code == 2
    assert "rules[0].weights" in result.stderr


def test_an_unknown_flag_exits_2(server: LiveServer) -> None:
    result = run("kill", "missing", "--env", "production")
    assert result.exit_code == 2
    assert "no flag 'missing'" in result.stderr
