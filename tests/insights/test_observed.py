"""With traces, coordination needs come from observed call rates instead of declarations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.insights.builders import import_payload, small_org
from tests.traces.builders import BASE, call, export, new_trace_id


def test_conway_switches_to_observed_calls_when_traces_have_them(
    admin: TestClient, services: Services
) -> None:
    """Observed in the last week: s1 -> s3 six times, s3 -> s5 twice, s1 -> s2 once (inside a).
    As rates over the window, C_R[a,b] : C_R[b,c] : C_R[a,a] = 6 : 2 : 1. Needs a-b and b-c,
    both declared: congruence 1 (2/3 from declarations alone, where s5 -> s1 made a-c a need).
    Cross-team share = (6 + 2) / 9. s5 -> s1 was never observed: no cycle."""
    imported = admin.post("/api/v1/catalog/import", json=import_payload(small_org()))
    assert imported.status_code == 200
    at = BASE - timedelta(hours=1)
    spans = [
        *(s for _ in range(6) for s in call("s1", "s3", at=at)),
        *(s for _ in range(2) for s in call("s3", "s5", at=at)),
        *call("s1", "s2", at=at),
    ]
    _, stored = services.traces.ingest(export(*spans))
    stored.result(timeout=30)
    report = admin.get("/api/v1/insights/conway").json()
    assert report["source"] == "traces"
    assert report["congruence"] == 1.0
    assert report["cross_team_share"] == pytest.approx(8 / 9)
    monolith = admin.get("/api/v1/insights/monolith").json()
    assert monolith["source"] == "traces"
    assert "cycle" not in [s["kind"] for s in monolith["signals"]]  # s5 -> s1 never observed
    # Calls per request on s3 -> s5: 2 calls / 6 requests arriving at s3 = 0.333.
    strict = admin.get("/api/v1/insights/monolith", params={"max_calls_per_request": 0.3}).json()
    [chatty] = [s for s in strict["signals"] if s["kind"] == "chatty-edge"]
    assert chatty["services"] == ["s3", "s5"]
    assert chatty["evidence"] == {"calls_per_request": 0.333}


def test_deep_chains_from_traces_are_the_measured_p95_depth_per_entry_point(
    admin: TestClient, services: Services
) -> None:
    """Twenty traces enter at s1: nineteen call s2 only (1 call deep), one goes s1 -> s3 -> s5
    (2 deep). Sorted depths [1] * 19 + [2]: p95 by linear interpolation sits at rank
    0.95 * 19 = 18.05, between the 19th (1) and the 20th (2): 1 + 0.05 * (2 - 1) = 1.05. With
    at most 1 hop allowed that is a deep chain measured by the traces (not the declared graph,
    whose cycle s5 -> s1 would hide s1 as an entry point), crossing teams a, b and c."""
    imported = admin.post("/api/v1/catalog/import", json=import_payload(small_org()))
    assert imported.status_code == 200
    at = BASE - timedelta(hours=1)
    deep = new_trace_id()
    spans = [
        *(s for _ in range(19) for s in call("s1", "s2", at=at)),
        *call("s1", "s3", at=at, trace_id=deep),
        *call("s3", "s5", at=at, trace_id=deep),
    ]
    _, stored = services.traces.ingest(export(*spans))
    stored.result(timeout=30)
    strict = admin.get("/api/v1/insights/monolith", params={"max_chain_depth": 1}).json()
    assert strict["source"] == "traces"
    [chain] = [s for s in strict["signals"] if s["kind"] == "deep-chain"]
    assert chain["evidence"]["entry"] == "s1"
    assert chain["evidence"]["depth"] == pytest.approx(1.05)
    assert (chain["evidence"]["traces"], chain["evidence"]["max_depth"]) == (20, 2)
    assert chain["evidence"]["source"] == "traces (p95 depth per entry point)"
    assert chain["services"] == ["s1", "s3", "s5"]
    assert chain["teams"] == ["a", "b", "c"]
    relaxed = admin.get("/api/v1/insights/monolith", params={"max_chain_depth": 2}).json()
    assert [s for s in relaxed["signals"] if s["kind"] == "deep-chain"] == []
