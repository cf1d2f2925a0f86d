"""``orgloop insights import|dora|flow`` against a live server, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgloop.app import Services
from tests.cli import run
from tests.insights.delivery import builders
from tests.insights.delivery import worked as w
from tests.live import LiveServer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_import_then_report(cli_env: LiveServer, services: Services, tmp_path: Path) -> None:
    builders.seed_catalog(services)
    file = tmp_path / "fortnight.json"
    file.write_text(json.dumps(builders.fortnight()))
    imported = run("insights", "import", "json", str(file))
    assert imported.exit_code == 0, imported.stderr
    assert "4 deployments" in imported.stdout
    window = ["--since", w.SINCE.isoformat(), "--until", w.UNTIL.isoformat()]
    dora = run("insights", "dora", *window, "--json")
    assert json.loads(dora.stdout)["groups"][0]["metrics"]["change_failure_rate"] == 0.25
    table = run("insights", "dora", *window)
    assert "payments" in table.stdout
    assert "25%" in table.stdout
    flow = run("insights", "flow", *window)
    assert flow.exit_code == 0
    assert "50%" in flow.stdout


def test_bad_file_exits_2_with_the_place(
    cli_env: LiveServer, services: Services, tmp_path: Path
) -> None:
    builders.seed_catalog(services)
    file = tmp_path / "deploys.csv"
    file.write_text("deploy_id,service,time_created\nd1,billing,2024-03-01T00:00:00Z\n")
    result = run("insights", "import", "csv", str(file), "--kind", "deployments")
    assert result.exit_code == 2
    assert "deploys.csv:line 2.service" in result.stderr
