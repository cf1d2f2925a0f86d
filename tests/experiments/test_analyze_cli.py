"""``orgloop analyze CONFIG.yaml``: offline analysis from a DuckDB file, CSV files or the example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orgloop.experiments.cli import analyze
from tests.experiments.analysis_data import METRICS_YAML, Plan, write_csv, write_duckdb

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "experiments"

ROW_FIELDS = {
    "metric",
    "variant",
    "units",
    "mean",
    "control_mean",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "p_value",
    "chance_to_win",
    "cuped_variance_reduction",
    "status",
}


def cli() -> typer.Typer:
    """The root command as the composition root mounts it: ``orgloop analyze``."""
    app = typer.Typer()
    app.command()(analyze)

    @app.callback()
    def root() -> None:
        """orgloop"""

    return app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli(), ["analyze", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write_config(path: Path, **fields: Any) -> Path:
    config = {
        "experiment": "checkout-redesign",
        "metrics": yaml.safe_load(METRICS_YAML)["metrics"],
        **fields,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def analyse_json(config: Path) -> dict[str, Any]:
    code, stdout, stderr = run(str(config), "--json")
    assert code == 0, stderr
    report: dict[str, Any] = json.loads(stdout)
    return report


def test_duckdb_file_gives_a_row_per_metric_and_a_recommendation(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(lift=0.4))
    report = analyse_json(write_config(tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}))
    assert [r["metric"] for r in report["rows"]] == [
        "conversion",
        "revenue",
        "revenue-per-view",
        "errors",
    ]
    assert all(set(r) >= ROW_FIELDS for r in report["rows"])
    assert report["srm_p_value"] > 0.001
    assert report["recommendation"] == "ship"
    revenue = next(r for r in report["rows"] if r["metric"] == "revenue")
    assert revenue["cuped_variance_reduction"] > 0.05  # pre-period spend predicts spend


def test_cuped_off_reports_no_variance_reduction(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(lift=0.4))
    config = write_config(
        tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}, cuped={"enabled": False}
    )
    report = analyse_json(config)
    assert {r["cuped_variance_reduction"] for r in report["rows"]} == {None}


def test_harmful_treatment_is_killed_by_its_guardrail(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(units=1500, error_lift=2.0))
    report = analyse_json(write_config(tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}))
    assert report["recommendation"] == "kill"
    assert "errors" in report["reason"]


def test_csv_files_with_mapped_columns_give_the_same_numbers(tmp_path: Path) -> None:
    plan = Plan(lift=0.2)
    write_duckdb(tmp_path / "events.duckdb", plan)
    write_csv(tmp_path, plan)
    from_db = analyse_json(write_config(tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}))
    example = yaml.safe_load((EXAMPLE / "analyze.yaml").read_text())
    from_csv = analyse_json(write_config(tmp_path / "b.yaml", source=example["source"]))
    for a, b in zip(from_db["rows"], from_csv["rows"], strict=True):
        assert a["lift"] == pytest.approx(b["lift"])
        assert a["p_value"] == pytest.approx(b["p_value"])


def test_shipped_example_runs_and_recommends_shipping() -> None:
    code, stdout, _ = run(str(EXAMPLE / "analyze.yaml"))
    assert code == 0
    assert "ship: treatment significantly improves conversion" in stdout
    assert "SRM p-value" in stdout


def test_unknown_experiment_means_investigate(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(units=50))
    config = write_config(
        tmp_path / "a.yaml",
        source={"duckdb": "events.duckdb"},
        experiment="nobody-saw-this",
        variants={"control": 1, "treatment": 1},
    )
    report = analyse_json(config)
    assert report["recommendation"] == "investigate"
    assert {r["status"] for r in report["rows"]} == {"no_units"}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        pytest.param({"source": {}}, "source", id="no-source"),
        pytest.param({"source": {"duckdb": "missing.duckdb"}}, "source.duckdb", id="no-file"),
        pytest.param({"source": {"duckdb": "x"}, "alpha": 2}, "alpha", id="bad-alpha"),
        pytest.param({"source": {"duckdb": "x"}, "method": "magic"}, "method", id="unknown-method"),
    ],
)
def test_bad_config_exits_2_and_names_the_field(
    tmp_path: Path, fields: dict[str, Any], where: str
) -> None:
    code, _, stderr = run(str(write_config(tmp_path / "a.yaml", **fields)))
    assert code == 2
    assert where in stderr


def test_docs_show_what_the_example_prints() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text()
    _, stdout, _ = run(str(EXAMPLE / "analyze.yaml"))
    for line in stdout.splitlines()[-2:]:
        assert line in docs


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        pytest.param("bayesian", "ship", id="bayesian"),
        # Always-valid intervals are wider: 600 units are not yet enough to call it.
        pytest.param("sequential", "keep-going", id="sequential"),
    ],
)
def test_every_method_reads_the_example(tmp_path: Path, method: str, expected: str) -> None:
    example = yaml.safe_load((EXAMPLE / "analyze.yaml").read_text())
    example["metrics_file"] = str(EXAMPLE / "metrics.yaml")
    example["source"] = {**example["source"]}
    for name in ("exposures", "events"):
        example["source"][name] = str(EXAMPLE / example["source"][name])
    config = tmp_path / "a.yaml"
    config.write_text(yaml.safe_dump({**example, "method": method}))
    report = analyse_json(config)
    assert report["recommendation"] == expected
    primary = report["rows"][0]
    assert primary["chance_to_win"] > 0.99
    assert (primary["p_value"] is None) == (method == "bayesian")
    if method == "sequential":  # no CUPED variant of the sequential test
        assert {r["cuped_variance_reduction"] for r in report["rows"]} == {None}


def test_a_one_experiment_export_needs_no_experiment_column(tmp_path: Path) -> None:
    plan = Plan(lift=0.2)
    write_duckdb(tmp_path / "events.duckdb", plan)
    write_csv(tmp_path, plan)
    lines = (tmp_path / "assignments.csv").read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("test_name")
    (tmp_path / "one.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines)
    )
    example = yaml.safe_load((EXAMPLE / "analyze.yaml").read_text())
    source = example["source"] | {"exposures": "one.csv"}
    del source["mapping"]["exposure_columns"]["experiment"]
    from_db = analyse_json(write_config(tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}))
    one = analyse_json(write_config(tmp_path / "b.yaml", source=source))
    assert one["units"] == from_db["units"]
    for a, b in zip(from_db["rows"], one["rows"], strict=True):
        assert a["lift"] == pytest.approx(b["lift"])


def test_an_explicitly_mapped_experiment_column_must_exist(tmp_path: Path) -> None:
    plan = Plan(lift=0.2)
    write_csv(tmp_path, plan)
    example = yaml.safe_load((EXAMPLE / "analyze.yaml").read_text())
    source = example["source"]
    source["mapping"]["exposure_columns"]["experiment"] = "no_such_column"
    code, _, stderr = run(str(write_config(tmp_path / "a.yaml", source=source)))
    assert code != 0
    assert "no_such_column" in stderr


def test_per_metric_cuped_settings_win_over_the_config_switch(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(lift=0.4))
    metrics = yaml.safe_load(METRICS_YAML)["metrics"]
    metrics[1]["cuped_lookback_hours"] = 336  # revenue: CUPED although the config turns it off
    config = write_config(
        tmp_path / "a.yaml",
        source={"duckdb": "events.duckdb"},
        cuped={"enabled": False},
        metrics=metrics,
    )
    rows = {r["metric"]: r for r in analyse_json(config)["rows"]}
    assert rows["revenue"]["cuped_variance_reduction"] > 0.05
    assert rows["conversion"]["cuped_variance_reduction"] is None
    assert rows["conversion"]["unadjusted"] is None


def test_a_cuped_row_carries_the_unadjusted_estimate_beside_it(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "events.duckdb", Plan(lift=0.4))
    metrics = yaml.safe_load(METRICS_YAML)["metrics"]
    metrics[0]["cuped_lookback_hours"] = None  # conversion raw, the rest CUPED
    config = write_config(tmp_path / "a.yaml", source={"duckdb": "events.duckdb"}, metrics=metrics)
    rows = {r["metric"]: r for r in analyse_json(config)["rows"]}
    revenue = rows["revenue"]
    plain = revenue["unadjusted"]
    assert set(plain) == {"lift", "low", "high", "p_value"}
    assert plain["low"] < plain["lift"] < plain["high"]
    # CUPED narrows the interval by the variance reduction it reports.
    width, plain_width = (
        revenue["lift_ci_high"] - revenue["lift_ci_low"],
        plain["high"] - plain["low"],
    )
    reduction = revenue["cuped_variance_reduction"]
    assert (width / plain_width) ** 2 == pytest.approx(1 - reduction, rel=0.05)
    assert rows["conversion"]["unadjusted"] is None
    assert rows["conversion"]["cuped_variance_reduction"] is None
