"""The SDK benchmark runs end to end on a small population and agrees with GrowthBook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("growthbook", reason="the benchmark compares against the GrowthBook SDK")

from bench import flags_sdk


def test_quick_run_writes_identical_assignments_and_ratios(tmp_path: Path) -> None:
    out = tmp_path / "flags_sdk.json"
    assert flags_sdk.main(["--quick", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["users"] == 2_000
    assert report["variations_identical"] is True
    # A row per operator family, and the experiment on ids of every script.
    assert [r["flag"] for r in report["results"]] == list(flags_sdk.FLAGS)
    assert {"version", "regex", "array", "saved group", "experiment, non-ASCII ids"} <= set(
        flags_sdk.FLAGS
    )
    for row in report["results"]:
        assert row["identical"] is True
        assert row["orgloop_us"] > 0
        assert row["speedup"] > 0
    assert report["machine"]["cores"] >= 1


def test_users_include_non_ascii_ids() -> None:
    ids = [u["id"] for u in flags_sdk.users(100)]
    assert len(set(ids)) == 100
    assert any(not i.isascii() for i in ids)


def test_a_disagreement_between_the_sdks_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = {"defaultValue": False, "rules": [{"force": True, "condition": {"version": "9"}}]}
    monkeypatch.setitem(flags_sdk.GROWTHBOOK, "version", wrong)
    out = tmp_path / "flags_sdk.json"
    assert flags_sdk.main(["--quick", "--out", str(out)]) == 1
    rows = {r["flag"]: r for r in json.loads(out.read_text())["results"]}
    assert rows["version"]["identical"] is False
    assert rows["numeric"]["identical"] is True
