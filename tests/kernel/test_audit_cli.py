"""``orgloop audit``: the table shows what each entry changed; ``--kind`` takes the kinds its
help names, and every kind a slice records is one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli import run
from tests.live import LiveServer

from orgloop.kernel.audit_view import KINDS, change

SRC = Path(__file__).resolve().parents[2] / "src" / "orgloop"


def test_the_table_shows_before_and_after(cli_env: LiveServer) -> None:
    created = run("tokens", "create", "--team", "checkout", "--role", "member", "--json")
    token = json.loads(created.stdout)
    assert run("tokens", "revoke", token["token"]["id"]).exit_code == 0
    table = run("audit", "--kind", "token").stdout
    assert "change" in table
    assert "created" in table
    assert re.search(r"revoked\S*: (null|false|None) -> ", table), table


def test_kind_takes_what_its_help_names(cli_env: LiveServer) -> None:
    run("tokens", "create", "--team", "checkout", "--role", "member")
    listed = json.loads(run("audit", "--kind", "token", "--json").stdout)
    assert listed["items"]
    assert {e["resource_kind"] for e in listed["items"]} == {"token"}
    wrong = run("audit", "--kind", "service")
    assert wrong.exit_code == 2
    assert "'service' is not recorded; use one of entity, token" in wrong.stderr
    help_text = " ".join(run("audit", "--help").stdout.split())
    for kind in KINDS:
        assert kind in help_text


def test_every_kind_the_slices_record_is_offered() -> None:
    recorded = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        recorded |= set(re.findall(r"audit\.record\(.*?kind=\"(\w+)\"", text, flags=re.S))
    assert recorded
    assert recorded <= set(KINDS)


def test_a_change_is_one_short_line() -> None:
    assert change(None, {"a": 1}) == "created"
    assert change({"a": 1}, None) == "deleted"
    assert change({"a": 1, "b": 2}, {"a": 1, "b": 3}) == "b: 2 -> 3"
    long = change({"x": "a" * 100}, {"x": "b"})
    assert len(long) < 40
    many = change(dict.fromkeys("abcde", 1), dict.fromkeys("abcde", 2))
    assert many.endswith("+2 more")
