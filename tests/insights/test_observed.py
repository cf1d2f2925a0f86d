"""With traces, coordination needs come from observed call rates instead of declarations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.insights.builders import import_payload, small_org
from tests.traces.builders import BASE, call, export


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
