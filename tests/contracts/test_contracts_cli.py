"""``orgloop contracts``, ``orgloop deployments`` and ``orgloop can-i-deploy`` end to end:
CLI -> HTTP client -> real server -> service -> database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orgloop.app import Services
from orgloop.contracts import cli as contracts_cli
from tests.catalog.builders import shop_payload
from tests.contracts.registry_builders import CHECKOUT_LIGHT, contracts_app, orders_api
from tests.live import LiveServer

root = typer.Typer()
root.add_typer(contracts_cli.app, name="contracts")
root.add_typer(contracts_cli.deployments_app, name="deployments")
root.command("can-i-deploy")(contracts_cli.can_i_deploy)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(root, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def server(services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A real server with the contracts router, the demo shop imported, the CLI pointed at it."""
    secret = services.tokens.bootstrap_admin()
    assert secret is not None
    services.catalog.import_catalog(_import_request(), actor=_system())
    with LiveServer(contracts_app(services)) as live:
        monkeypatch.setenv("ORGLOOP_URL", live.url)
        monkeypatch.setenv("ORGLOOP_TOKEN", secret.secret)
        monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
        yield


def _import_request() -> object:
    from orgloop.catalog.models import ImportRequest

    return ImportRequest.model_validate({"entities": shop_payload()})


def _system() -> object:
    from orgloop.kernel.auth import SYSTEM

    return SYSTEM


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_ci_gate_from_publish_to_can_i_deploy(server: None, tmp_path: Path) -> None:
    v1, v2, light = tmp_path / "v1.yaml", tmp_path / "v2.yaml", tmp_path / "checkout.yaml"
    v1.write_text(yaml.safe_dump(orders_api()))
    v2.write_text(yaml.safe_dump(orders_api(with_total=False)))
    light.write_text(CHECKOUT_LIGHT)

    assert run("contracts", "publish", "orders", "--version", "1.0.0", str(v1))[0] == 0
    code, text = run("contracts", "publish", "orders", "--version", "1.1.0", str(v2))
    assert code == 1
    assert "not a new major version" in text
    assert "GET /orders/{id}" in text
    assert run("contracts", "publish", "orders", "--version", "2.0.0", str(v2))[0] == 0
    code, text = run("contracts", "versions", "orders", "--json")
    assert [v["version"] for v in json.loads(text)] == ["1.0.0", "2.0.0"]
    code, text = run("contracts", "changelog", "orders", "1.0.0", "2.0.0")
    assert code == 0
    assert "error" in text

    assert run("contracts", "publish-pact", "checkout", "--version", "3.1.0", str(light))[0] == 0
    for service, version in [("orders", "1.0.0"), ("checkout", "3.1.0")]:
        code, text = run("deployments", "record", service, "--version", version, "--env", "production")  # fmt: skip
        assert code == 0, text

    code, text = run("can-i-deploy", "orders", "--version", "2.0.0", "--to", "production", "--json")
    verdict = json.loads(text)
    assert code == 1
    assert verdict["deployable"] is False
    first = verdict["reasons"][0]
    assert (first["service"], first["version"], first["team"]) == ("checkout", "3.1.0", "checkout")
    assert "GET /orders/{id}" in first["detail"]
    assert "total" in first["detail"]

    assert run("can-i-deploy", "orders", "--version", "2.0.0", "--to", "production", "--dry-run")[0] == 0  # fmt: skip
    ignored = run("can-i-deploy", "orders", "--version", "2.0.0", "--to", "production", "--ignore", "checkout")  # fmt: skip
    assert ignored[0] == 0, ignored[1]
    code, text = run("can-i-deploy", "orders", "--version", "9.0.0", "--to", "production",
                     "--retry-while-unknown", "1", "--retry-interval", "0")  # fmt: skip
    assert code == 1
    assert "unknown" in text
    code, text = run("deployments", "list", "--json")
    assert {(d["service"], d["environment"]) for d in json.loads(text)} == {
        ("orders", "production"), ("checkout", "production"),
    }  # fmt: skip
