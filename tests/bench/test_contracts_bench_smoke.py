"""Smoke tests of the contracts benchmarks' code on tiny data (the benchmarks never run here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench import can_i_deploy, openapi_diff
from tests.contracts.registry_builders import orders_api


def test_can_i_deploy_quick_times_yes_no_and_unknown_answers(tmp_path: Path) -> None:
    out = tmp_path / "can_i_deploy.json"
    result = can_i_deploy.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == result
    for name in ("cold", "warm"):
        verdicts = result[name]["by_verdict"]
        assert sum(v["n"] for v in verdicts.values()) == result["queries"]
        assert verdicts["unknown"]["n"] > 0
        assert result[name]["p50_ms"] <= result[name]["p95_ms"] <= result[name]["p99_ms"]
    assert result["machine"]["cores"] >= 1


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_the_orgloop_side_runs_in_a_measured_subprocess_and_summarises(tmp_path: Path) -> None:
    base = _write(tmp_path / "base.json", orders_api())
    new = _write(tmp_path / "new.json", orders_api(with_total=False))
    run = openapi_diff.run_orgloop(base, new, timeout=60, memory_cap_mb=4096)
    assert run["status"] == "finished", run
    assert run["peak_rss_mb"] > 1
    summary = run["summary"]
    assert summary["by_level"]["error"] >= 1
    assert summary["findings"] == sum(summary["by_level"].values())


def test_a_process_over_its_time_is_stopped_and_reported_as_a_timeout() -> None:
    run = openapi_diff.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5, memory_cap_mb=4096)  # fmt: skip
    assert run["status"] == "timeout"
    assert run["seconds"] < 10


def test_a_process_over_its_memory_cap_is_reported_out_of_memory() -> None:
    grow = (
        "import time; x = bytearray(400 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(30)"
    )
    run = openapi_diff.measure([sys.executable, "-c", grow], timeout=20, memory_cap_mb=200)
    assert run["status"] == "out_of_memory"


def test_subsets_keep_the_same_first_paths_and_the_components() -> None:
    base = {"openapi": "3.0.3", "paths": {"/a": {}, "/b": {}, "/c": {}}, "components": {"x": 1}}
    new = {"openapi": "3.0.3", "paths": {"/c": {}, "/a": {}, "/d": {}}, "components": {"y": 2}}
    cut_base, cut_new = openapi_diff.subset(base, new, 5)
    assert list(cut_base["paths"]) == list(cut_new["paths"]) == ["/a", "/c"]
    assert (cut_base["components"], cut_new["components"]) == ({"x": 1}, {"y": 2})
