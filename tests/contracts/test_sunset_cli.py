"""``orgloop contracts deprecations`` end to end: CLI -> HTTP client -> real server -> database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.contracts.registry_builders import CHECKOUT_LIGHT, orders_api
from tests.contracts.test_contracts_cli import run, server
from tests.contracts.test_sunset_api import deprecated

__all__ = ["server"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_deprecations_lists_who_still_uses_a_deprecated_operation(server: None, tmp_path: Path) -> None:  # fmt: skip
    v1, v11, light = tmp_path / "v1.yaml", tmp_path / "v1.1.yaml", tmp_path / "checkout.yaml"
    v1.write_text(yaml.safe_dump(orders_api()))
    v11.write_text(yaml.safe_dump(deprecated(orders_api(), sunset="2026-06-30")))
    light.write_text(CHECKOUT_LIGHT)
    assert run("contracts", "publish", "orders", "--version", "1.0.0", str(v1))[0] == 0
    assert run("contracts", "publish", "orders", "--version", "1.1.0", str(v11))[0] == 0
    assert run("contracts", "publish-pact", "checkout", "--version", "3.1.0", str(light))[0] == 0
    for service, version in [("orders", "1.1.0"), ("checkout", "3.1.0")]:
        assert run("deployments", "record", service, "--version", version, "--env", "production")[0] == 0  # fmt: skip

    code, text = run("contracts", "deprecations", "--provider", "orders", "--env", "production")
    assert code == 0, text
    assert "GET /orders/{id}" in text
    assert "2026-06-30" in text
    assert "1 deprecated operation use(s)" in text

    code, text = run("contracts", "deprecations", "--json")
    report = json.loads(text)
    assert [(u["consumer"], u["days_left"]) for u in report["uses"]] == [("checkout", 180)]

    code, text = run("contracts", "deprecations", "--provider", "nope")
    assert code != 0
    assert "nope" in text
