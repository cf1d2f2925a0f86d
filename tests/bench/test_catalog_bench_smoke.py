"""The catalog write benchmark runs on a small organisation and keeps earlier labels' runs."""

from __future__ import annotations

import json
from pathlib import Path

from bench import catalog_write


def test_quick_run_times_each_write_and_keeps_the_relations_whole(tmp_path: Path) -> None:
    out = tmp_path / "catalog_write.json"
    out.write_text(json.dumps({"before": {"all": {"p99_ms": 1234.5}}}))
    result = catalog_write.main(["--quick", "--out", str(out)])
    recorded = json.loads(out.read_text())
    assert recorded["quick"] == result  # a smoke run never replaces the measured figures
    assert recorded["before"] == {"all": {"p99_ms": 1234.5}}
    assert result["entities"] == 300
    for op in ("create", "update", "delete"):
        assert result[op]["n"] == result["rounds"]
        assert 0 < result[op]["p50_ms"] <= result[op]["p99_ms"] <= result[op]["max_ms"]
    assert result["all"]["n"] == result["writes"] == 3 * result["rounds"]
    assert result["relations_agree"] is True
    assert result["contention"]["n"] == 100
    assert result["contention"]["p50_ms"] >= result["contention"]["cpu_ms"] * 0.9


def test_the_organisation_has_the_size_asked_for_and_every_kind() -> None:
    import random

    docs = catalog_write.organisation(1_000, random.Random(1))
    kinds = {d["kind"] for d in docs}
    assert len(docs) == 1_000
    assert kinds == {"Group", "Domain", "System", "API", "Component"}
    assert len({d["metadata"]["name"] for d in docs if d["kind"] == "Component"}) == sum(
        1 for d in docs if d["kind"] == "Component"
    )
