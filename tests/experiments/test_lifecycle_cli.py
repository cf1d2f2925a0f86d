"""``orgloop experiments ...`` against a real server: plan, start, analyse, decide, learn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from orgloop.app import Services, create_app
from orgloop.catalog.models import ImportRequest
from orgloop.experiments import cli as experiments_cli
from orgloop.kernel.auth import SYSTEM
from tests.catalog.builders import shop_payload
from tests.experiments.analysis_data import Plan
from tests.experiments.test_lifecycle import Lab
from tests.live import LiveServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "experiments"


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(experiments_cli.app, name="experiments")

    @app.callback()
    def root() -> None:
        """orgloop"""

    return app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli(), ["experiments", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def lab(services: Services, tmp_path: Path) -> Lab:
    lab = Lab(services, tmp_path)
    lab.use(Plan(lift=0.4))
    return lab


@pytest.fixture
def server(
    lab: Lab, admin_token: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    lab.services.experiments = lab.service  # the app serves the lab's service (its own event store)
    with LiveServer(create_app(services=lab.services)) as live:
        monkeypatch.setenv("ORGLOOP_URL", live.url)
        monkeypatch.setenv("ORGLOOP_TOKEN", admin_token)
        monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
        yield live.url


def test_experiment_from_plan_to_learning(
    server: str, lab: Lab, admin_token: str, tmp_path: Path
) -> None:
    lab.services.catalog.import_catalog(ImportRequest(entities=shop_payload()), actor=SYSTEM)
    code, stdout, stderr = run("create", str(EXAMPLE / "checkout-redesign.yaml"), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["status"] == "draft"
    assert run("start", "checkout-redesign")[0] == 0
    code, stdout, _ = run("list", "--team", "checkout", "--json")
    assert [(e["key"], e["status"]) for e in json.loads(stdout)["items"]] == [
        ("checkout-redesign", "running")
    ]
    code, stdout, _ = run("analyze", "checkout-redesign", "--json")
    assert json.loads(stdout)["recommendation"] == "ship"
    code, stdout, _ = run("analyze", "checkout-redesign")
    assert "ship: treatment significantly improves conversion" in stdout
    code, stdout, _ = run(
        "decide", "checkout-redesign", "--decision", "ship", "--reason", "conversion is up"
    )
    assert code == 0
    assert "ship" in stdout
    code, stdout, _ = run("learnings", "-q", "conversion is up", "--json")
    assert [i["key"] for i in json.loads(stdout)["items"]] == ["checkout-redesign"]
    code, stdout, _ = run("show", "checkout-redesign", "--json")
    assert json.loads(stdout)["decision"] == "ship"
    code, stdout, _ = run("velocity", "--team", "checkout", "--json")
    assert json.loads(stdout)["decided"] == 1


def test_unknown_experiment_exits_2(server: str) -> None:
    code, _, stderr = run("show", "nope")
    assert code == 2
    assert "no experiment 'nope'" in stderr


def _started(lab: Lab) -> None:
    lab.services.catalog.import_catalog(ImportRequest(entities=shop_payload()), actor=SYSTEM)
    assert run("create", str(EXAMPLE / "checkout-redesign.yaml"))[0] == 0
    assert run("start", "checkout-redesign")[0] == 0


def test_shipping_against_the_analysis_needs_force_and_says_why(server: str, lab: Lab) -> None:
    lab.use(Plan(lift=0.0, units=200))
    _started(lab)
    ship = ("decide", "checkout-redesign", "--decision", "ship", "--reason", "we like it")
    code, _, stderr = run(*ship)
    assert code == 2
    assert "its analysis recommends keep-going" in stderr
    assert "--force" in stderr
    assert json.loads(run("show", "checkout-redesign", "--json")[1])["status"] == "running"
    code, stdout, stderr = run(*ship, "--force")
    assert code == 0, stderr
    assert "ship" in stdout


def test_shipping_with_no_units_needs_force(server: str, lab: Lab) -> None:
    lab.use(Plan(experiment="another-experiment"))  # nothing exposed to this one
    _started(lab)
    code, _, stderr = run("decide", "checkout-redesign", "--decision", "ship", "--reason", "x")
    assert code == 2
    assert "no units have been exposed" in stderr
    code, _, _ = run("decide", "checkout-redesign", "--decision", "kill", "--reason", "x")
    assert code == 0  # only shipping needs the evidence


def test_record_confirms_what_it_recorded(server: str, lab: Lab) -> None:
    _started(lab)
    code, stdout, stderr = run("analyze", "checkout-redesign", "--record", "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["recommendation"] == "ship"  # stdout stays JSON
    assert "recorded: this analysis of checkout-redesign (600 units, ship)" in stderr
    code, _, stderr = run("analyze", "checkout-redesign")
    assert "recorded" not in stderr
