"""``orgloop catalog ...`` end to end: CLI -> HTTP client -> real server -> service -> database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from orgloop.app import build_services, create_app
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.settings import Settings
from tests.catalog.builders import SHOP
from tests.cli import run
from tests.live import LiveServer

EXAMPLE = SHOP.parent.parent  # examples/shop: descriptors beside contracts and experiments


def test_validate_runs_offline_and_counts_entities_and_relations() -> None:
    result = run("catalog", "validate", str(SHOP), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["entities"]["Component"] == 11
    assert report["relations"] == 200
    assert report["errors"] == []


def test_a_directory_s_yaml_files_that_are_not_descriptors_are_skipped_with_one_note() -> None:
    result = run("catalog", "validate", str(EXAMPLE))
    assert result.exit_code == 0, result.stdout
    assert "47 entities" in result.stdout
    assert "valid" in result.stdout
    note = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert note == [
        f"note: skipped 7 YAML files under {EXAMPLE} that are not catalog descriptors "
        "(no apiVersion or kind)"
    ]
    report = json.loads(run("catalog", "validate", str(EXAMPLE), "--json").stdout)
    assert str(EXAMPLE / "contracts" / "orders-v1.yaml") in report["skipped"]


def test_a_broken_descriptor_in_a_directory_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.3\ninfo: {title: x, version: '1'}\n")
    (tmp_path / "broken.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\n")
    result = run("catalog", "validate", str(tmp_path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["skipped"] == [str(tmp_path / "openapi.yaml")]
    assert [(e["file"], e["path"]) for e in report["errors"]] == [
        (str(tmp_path / "broken.yaml"), "metadata")
    ]
    named = run("catalog", "validate", str(tmp_path / "openapi.yaml"))  # named: read as one
    assert named.exit_code == 1


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
def test_import_of_one_file_counts_the_others_once_and_prune_lists_them(
    cli_env: LiveServer,
) -> None:
    whole = run("catalog", "import", str(EXAMPLE))
    assert whole.exit_code == 0, whole.stderr
    assert whole.stderr.startswith("note: skipped 7 YAML files under")
    one = run("catalog", "import", str(SHOP.parent / "org.yaml"))  # the 8 teams and 10 people
    assert one.exit_code == 0, one.stderr
    assert one.stderr.strip() == (
        "29 catalog entities not in these files are kept; --prune would delete them "
        "(--prune --dry-run lists them)"
    )
    dry = run("catalog", "import", str(SHOP.parent / "org.yaml"), "--prune", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.count("\n  - ") == 29
    assert "  - component:default/checkout" in dry.stdout
    assert dry.stderr == ""
    assert json.loads(run("catalog", "services", "--json").stdout)["total"] == 11


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_reads_back_whole_into_a_fresh_server(
    cli_env: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("catalog", "import", str(EXAMPLE)).exit_code == 0
    first = tmp_path / "first"
    assert run("catalog", "export", str(first)).exit_code == 0
    location = yaml.safe_load((first / "locations.yaml").read_text())
    written = sorted(p.name for p in first.iterdir())
    assert location["spec"]["targets"] == [f"./{n}" for n in written if n != "locations.yaml"]
    checked = run("catalog", "validate", str(first))
    assert checked.exit_code == 0, checked.stdout
    assert "47 entities" in checked.stdout

    settings = Settings(data_dir=tmp_path / "fresh", database_url=f"sqlite:///{tmp_path}/fresh.db")
    fresh = build_services(settings, clock=FixedClock(), ids=SequentialIds(), migrate=True)
    token = fresh.tokens.bootstrap_admin()
    assert token is not None
    try:
        with LiveServer(create_app(services=fresh)) as server:
            monkeypatch.setenv("ORGLOOP_URL", server.url)
            monkeypatch.setenv("ORGLOOP_TOKEN", token.secret)
            imported = run("catalog", "import", str(first), "--json")
            assert imported.exit_code == 0, imported.stderr
            assert len(json.loads(imported.stdout)["created"]) == 47
            second = tmp_path / "second"
            assert run("catalog", "export", str(second)).exit_code == 0
    finally:
        fresh.close()
    assert sorted(p.name for p in second.iterdir()) == written
    for name in written:
        assert (second / name).read_text() == (first / name).read_text(), name


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
