"""``orgloop catalog ...`` end to end: CLI -> HTTP client -> real server -> service -> database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.catalog.builders import SHOP
from tests.cli import run
from tests.conftest import LiveServer


def test_validate_runs_offline_and_counts_entities_and_relations() -> None:
    result = run("catalog", "validate", str(SHOP), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["entities"]["Component"] == 11
    assert report["relations"] == 200
    assert report["errors"] == []


def test_validate_exits_1_on_an_invalid_catalog_naming_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: lonely}\n"
        "spec: {type: service, lifecycle: production}\n"
    )
    result = run("catalog", "validate", str(bad), "--json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert {"file": str(bad), "document": 0, "path": "spec.owner"}.items() <= errors[0].items()


def test_validate_exits_2_on_unreadable_input(tmp_path: Path) -> None:
    assert run("catalog", "validate", str(tmp_path / "missing.yaml")).exit_code == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_then_list_then_export(cli_env: LiveServer, tmp_path: Path) -> None:
    imported = run("catalog", "import", str(SHOP), "--json")
    assert imported.exit_code == 0, imported.stderr
    assert len(json.loads(imported.stdout)["created"]) == 47

    again = run("catalog", "import", str(SHOP))
    assert "0 created, 0 updated, 47 unchanged" in again.stdout

    services = json.loads(run("catalog", "services", "--owner", "checkout", "--json").stdout)
    assert [s["name"] for s in services["items"]] == ["cart", "checkout", "payments"]
    table = run("catalog", "teams").stdout
    assert "fulfilment" in table

    exported = run("catalog", "export", str(tmp_path / "out"))
    assert exported.exit_code == 0
    components = list(yaml.safe_load_all((tmp_path / "out" / "components.yaml").read_text()))
    assert len(components) == 11


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_refused_whole_prints_file_document_and_path(
    cli_env: LiveServer, tmp_path: Path
) -> None:
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: ghost}\n"
        "spec: {type: service, lifecycle: production, owner: nobody}\n"
    )
    result = run("catalog", "import", str(ghost))
    assert result.exit_code == 2
    assert f"{ghost}:0:spec.owner" in result.stderr
    assert json.loads(run("catalog", "services", "--json").stdout)["total"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tokens_and_audit_from_the_cli(cli_env: LiveServer) -> None:
    created = run("tokens", "create", "--team", "checkout", "--role", "member", "--json")
    assert created.exit_code == 0, created.stderr
    token = json.loads(created.stdout)
    listed = run("tokens", "list", "--json").stdout
    assert token["token"]["id"] in listed
    assert token["secret"] not in listed
    assert run("tokens", "revoke", token["token"]["id"]).exit_code == 0
    audit = json.loads(run("audit", "--json").stdout)
    assert [e["action"] for e in audit["items"][:2]] == ["token.revoke", "token.create"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_remembers_url_and_token(
    cli_env: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ORGLOOP_TOKEN")
    assert run("tokens", "list").exit_code == 1  # no token: unauthenticated
    result = run("login", "--url", cli_env.url, "--token", admin_token)
    assert result.exit_code == 0, result.stderr
    saved = tmp_path / "config" / "login.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert run("tokens", "list").exit_code == 0


def test_a_server_that_is_not_running_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGLOOP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ORGLOOP_TOKEN", "x")
    result = run("catalog", "services")
    assert result.exit_code == 1
    assert "cannot reach orgloop at http://127.0.0.1:9" in result.stderr
