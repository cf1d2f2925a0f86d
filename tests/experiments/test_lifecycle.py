"""The experiment lifecycle over HTTP: plan, start, analyse, alert, decide, learn, velocity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pytest
import yaml
from fastapi.testclient import TestClient

from orgloop.app import Services, create_app
from orgloop.catalog.models import ImportRequest
from orgloop.experiments.events import ExperimentAlert, ExperimentDecided
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.store import EventStore
from orgloop.experiments.lifecycle import alerts_of
from orgloop.experiments.models import ExperimentCreate
from orgloop.experiments.service import ExperimentService, event_store_connector
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.models import TokenCreate
from orgloop.stats import sample_size_proportion
from tests.catalog.builders import shop_payload
from tests.experiments.analysis_data import METRICS_YAML, Plan, generate, write_duckdb

METRICS = yaml.safe_load(METRICS_YAML)["metrics"]


def experiment_body(**fields: Any) -> dict[str, Any]:
    body = {
        "key": "checkout-redesign",
        "hypothesis": "A one-page checkout converts more visitors into buyers.",
        "owner": "checkout",
        "flag_key": "checkout-redesign",
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [METRICS[0]],
        "secondary_metrics": METRICS[1:3],
        "guardrail_metrics": [METRICS[3]],
        "plan": {"baseline": 0.3, "mde": 0.1},
    }
    return {**body, **fields}


class Lab:
    """The app with the experiments router, over generated events; ``use`` swaps the data."""

    def __init__(self, services: Services, tmp_path: Path) -> None:
        self.services = services
        self.tmp_path = tmp_path
        self.path: Path | None = None
        self.alerts: list[ExperimentAlert] = []
        self.decisions: list[ExperimentDecided] = []
        services.bus.subscribe(ExperimentAlert, self.alerts.append)
        services.bus.subscribe(ExperimentDecided, self.decisions.append)
        self.service = ExperimentService(
            db=services.db,
            audit=services.audit,
            clock=services.clock,
            bus=services.bus,
            catalog=services.catalog,
            connect=lambda: ibis.duckdb.connect(str(self.path), read_only=True),
        )

    def use(self, plan: Plan) -> None:
        self.path = write_duckdb(self.tmp_path / f"events-{id(plan)}.duckdb", plan)


@pytest.fixture
def lab(services: Services, tmp_path: Path) -> Lab:
    lab = Lab(services, tmp_path)
    lab.use(Plan(lift=0.4))
    return lab


@pytest.fixture
def api(lab: Lab, admin_token: str) -> Iterator[TestClient]:
    lab.services.experiments = lab.service  # the app serves the lab's service (its own event store)
    app = create_app(services=lab.services)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        response = client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
        assert response.status_code == 200, response.text
        yield client


def created(api: TestClient, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v1/experiments", json=experiment_body(**fields))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def started(api: TestClient, **fields: Any) -> dict[str, Any]:
    key = created(api, **fields)["key"]
    response = api.post(f"/api/v1/experiments/{key}/start")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_plans_the_sample_size_from_baseline_and_mde(api: TestClient) -> None:
    experiment = created(api)
    assert experiment["status"] == "draft"
    assert experiment["owner"] == "group:default/checkout"
    assert experiment["control"] == "control"
    assert experiment["planned_sample_size"] == sample_size_proportion(
        baseline=0.3, relative_effect=0.1
    )
    roles = [(m["role"], m["definition"]["key"]) for m in experiment["metrics"]]
    assert roles[0] == ("primary", "conversion")
    assert roles[-1] == ("guardrail", "errors")
    audit = api.get("/api/v1/audit", params={"resource_kind": "experiment"}).json()
    assert [e["action"] for e in audit["items"]] == ["experiment.create"]


@pytest.mark.parametrize(
    ("fields", "status", "where"),
    [
        pytest.param({"owner": "no-such-team"}, 404, None, id="unknown-team"),
        pytest.param(
            {"primary_metrics": [{"key": "x", "kind": "ratio", "event": "e"}]},
            422,
            "primary_metrics[0]",
            id="bad-metric",
        ),
        pytest.param({"control": "nope"}, 422, None, id="unknown-control"),
        pytest.param({"plan": {"baseline": 0.3, "mde": 0}}, 422, "plan", id="impossible-plan"),
    ],
)
def test_bad_experiments_are_refused(
    api: TestClient, fields: dict[str, Any], status: int, where: str | None
) -> None:
    response = api.post("/api/v1/experiments", json=experiment_body(**fields))
    assert response.status_code == status, response.text
    if where:
        paths = [e["path"] for e in response.json()["error"]["details"]["errors"]]
        assert any(p.startswith(where) for p in paths), paths


def test_same_key_twice_is_a_conflict(api: TestClient) -> None:
    created(api)
    response = api.post("/api/v1/experiments", json=experiment_body())
    assert response.status_code == 409


def test_another_teams_member_cannot_create(api: TestClient, services: Services) -> None:
    token = services.tokens.create(
        TokenCreate(role="member", name="dana", team="discovery"), actor=SYSTEM
    ).secret
    response = api.post(
        "/api/v1/experiments",
        json=experiment_body(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


def test_lifecycle_moves_only_forward(api: TestClient) -> None:
    created(api)
    assert api.post("/api/v1/experiments/checkout-redesign/stop").status_code == 409
    assert api.get("/api/v1/experiments/checkout-redesign/analysis").status_code == 409
    assert api.post("/api/v1/experiments/checkout-redesign/start").json()["status"] == "running"
    assert api.post("/api/v1/experiments/checkout-redesign/start").status_code == 409
    assert api.post("/api/v1/experiments/checkout-redesign/stop").json()["status"] == "stopped"
    listed = api.get("/api/v1/experiments", params={"team": "checkout"}).json()
    assert [e["key"] for e in listed["items"]] == ["checkout-redesign"]


def test_analysis_on_demand_reads_the_event_store(api: TestClient) -> None:
    started(api)
    report = api.get("/api/v1/experiments/checkout-redesign/analysis").json()
    assert report["recommendation"] == "ship"
    assert [r["metric"] for r in report["rows"]] == [
        "conversion",
        "revenue",
        "revenue-per-view",
        "errors",
    ]
    assert api.get("/api/v1/experiments/checkout-redesign").json()["last_analysis"] is None
    api.post("/api/v1/experiments/checkout-redesign/analysis")
    kept = api.get("/api/v1/experiments/checkout-redesign").json()["last_analysis"]
    assert kept["recommendation"] == "ship"


def test_a_metrics_own_cuped_window_wins_over_the_experiments_cuped_false(
    api: TestClient,
) -> None:
    revenue = {**METRICS[1], "cuped_lookback_hours": 336}
    started(api, cuped=False, secondary_metrics=[revenue, METRICS[2]])
    report = api.get("/api/v1/experiments/checkout-redesign/analysis").json()
    rows = {r["metric"]: r for r in report["rows"]}
    adjusted = rows["revenue"]
    assert adjusted["cuped_variance_reduction"] is not None
    assert adjusted["cuped_variance_reduction"] > 0  # the pre-exposure spend predicts the spend
    assert set(adjusted["unadjusted"]) >= {"lift", "low", "high", "p_value"}
    assert adjusted["unadjusted"]["high"] - adjusted["unadjusted"]["low"] > (
        adjusted["lift_ci_high"] - adjusted["lift_ci_low"]
    )  # the plain interval, beside the narrower adjusted one
    for raw in ("conversion", "revenue-per-view", "errors"):  # the experiment's default: no CUPED
        assert rows[raw]["cuped_variance_reduction"] is None
        assert rows[raw]["unadjusted"] is None


def test_a_look_back_analyses_the_data_as_it_stood(api: TestClient) -> None:
    # One unit is exposed every 7 minutes from 2026-01-05 00:00 UTC: 100 of them by 11:40.
    started(api)
    path = "/api/v1/experiments/checkout-redesign/analysis"
    full = api.get(path).json()
    then = api.get(path, params={"until": "2026-01-05T11:40:00Z"}).json()
    assert sum(full["units"].values()) == 600
    assert sum(then["units"].values()) == 100
    assert then["until"] == "2026-01-05T11:40:00+00:00"
    assert full["until"] is None
    before = api.get(path, params={"until": "2025-12-01T00:00:00Z"})
    assert before.status_code == 200
    assert sum(before.json()["units"].values()) == 0
    assert {r["status"] for r in before.json()["rows"]} == {"no_units"}


def test_a_look_back_needs_an_offset_and_is_never_recorded(api: TestClient) -> None:
    started(api)
    path = "/api/v1/experiments/checkout-redesign/analysis"
    naive = api.get(path, params={"until": "2026-01-05T11:40:00"})
    assert naive.status_code == 422
    assert naive.json()["error"]["details"]["errors"][0]["path"] == "until"
    assert api.get(path, params={"until": "yesterday"}).status_code == 422


def test_guardrail_breach_raises_one_alert(api: TestClient, lab: Lab) -> None:
    lab.use(Plan(units=1500, error_lift=2.0))
    started(api)
    for _ in range(2):
        report = api.post("/api/v1/experiments/checkout-redesign/analysis").json()
        assert report["recommendation"] == "kill"
    alerts = api.get("/api/v1/experiments/checkout-redesign/alerts").json()
    assert [a["kind"] for a in alerts] == ["guardrail"]
    assert [(e.experiment, e.flag_key, e.kind) for e in lab.alerts] == [
        ("checkout-redesign", "checkout-redesign", "guardrail")
    ]


def test_sample_ratio_mismatch_raises_an_alert(api: TestClient, lab: Lab) -> None:
    lab.use(Plan(units=1000, treatment_share=0.4))
    started(api)
    report = api.post("/api/v1/experiments/checkout-redesign/analysis").json()
    assert report["recommendation"] == "investigate"
    assert [e.kind for e in lab.alerts] == ["srm"]


def test_decision_keeps_its_evidence_and_feeds_the_learning_log(api: TestClient, lab: Lab) -> None:
    started(api)
    response = api.post(
        "/api/v1/experiments/checkout-redesign/decision",
        json={"decision": "ship", "reason": "one-page checkout lifts conversion"},
    )
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["evidence"]["recommendation"] == "ship"
    assert api.get("/api/v1/experiments/checkout-redesign").json()["status"] == "decided"
    assert [d.decision for d in lab.decisions] == ["ship"]
    found = api.get("/api/v1/learnings", params={"q": "one-page CONVERTS"}).json()
    (learning,) = found["items"]
    assert learning["decision"] == "ship"
    assert learning["result"].startswith("conversion treatment +")
    assert api.get("/api/v1/learnings", params={"q": "pricing"}).json()["total"] == 0
    assert api.get("/api/v1/learnings", params={"team": "discovery"}).json()["total"] == 0
    again = api.post(
        "/api/v1/experiments/checkout-redesign/decision",
        json={"decision": "kill", "reason": "changed my mind"},
    )
    assert again.status_code == 409


def test_velocity_counts_per_month_and_days_to_decision(api: TestClient, clock: FixedClock) -> None:
    for key, days in (("first", 10), ("second", 20)):
        started(api, key=key)
        clock.advance(days=days)
        api.post(f"/api/v1/experiments/{key}/decision", json={"decision": "kill", "reason": "no"})
    started(api, key="third")
    velocity = api.get("/api/v1/experiments-velocity", params={"team": "checkout"}).json()
    assert velocity["decided"] == 2
    assert velocity["median_days_to_decision"] == 15.0
    assert sum(m["started"] for m in velocity["months"]) == 3
    assert sum(m["decided"] for m in velocity["months"]) == 2
    other = api.get("/api/v1/experiments-velocity", params={"team": "discovery"}).json()
    assert other["months"] == []


def test_analysis_over_the_embedded_event_store(services: Services, tmp_path: Path) -> None:
    """Events ingested into ``<data_dir>/events.duckdb`` are what the service analyses."""
    store = EventStore.in_data_dir(tmp_path / "data")
    report = _analyse_in(store, services)
    assert sum(report["units"].values()) == 200
    assert {r["status"] for r in report["rows"]} == {"ok"}
    assert report["computed_by"] == "unit_numbers"  # every row the store loaded is numbered


def test_an_analysis_over_several_replicas_stores_says_it_was_the_expression(
    services: Services, tmp_path: Path
) -> None:
    # Another replica's store wrote to the shared directory: the analysis reads the union of
    # both stores' rows, whose unit numbers are each store's own.
    other = EventStore.in_data_dir(tmp_path / "other", shared_dir=tmp_path / "shared")
    now = datetime(2026, 2, 1, tzinfo=UTC)
    visit = {"id": "o1", "type": "track", "unit": "u-never-exposed", "event": "checkout_viewed",
             "timestamp": "2026-01-10T00:00:00Z"}  # fmt: skip
    body = json.dumps({"events": [visit]}).encode()
    other.append(parse_batch(body, now=now, limits=IngestLimits()), received_at=now)
    other.close()
    store = EventStore.in_data_dir(tmp_path / "data", shared_dir=tmp_path / "shared")
    report = _analyse_in(store, services)
    assert sum(report["units"].values()) == 200  # the same figures, computed the other way
    assert report["computed_by"] == "expression"


def _analyse_in(store: EventStore, services: Services) -> dict[str, Any]:
    """Generated traffic of ``checkout-redesign`` appended to ``store``, and its analysis."""
    exposures, events = generate(Plan(units=200, lift=0.5))
    wire = [
        {
            "id": f"x{i}",
            "type": "exposure",
            "unit": u,
            "experiment": e,
            "variant": v,
            "timestamp": t.isoformat(),
        }
        for i, (u, e, v, t) in enumerate(exposures)
    ] + [
        {
            "id": f"t{i}",
            "type": "track",
            "unit": u,
            "event": n,
            "value": value,
            "timestamp": t.isoformat(),
        }
        for i, (u, n, value, t) in enumerate(events)
    ]
    now = datetime(2026, 2, 1, tzinfo=UTC)
    batch = parse_batch(json.dumps({"events": wire}).encode(), now=now, limits=IngestLimits())
    store.append(batch, received_at=now)
    service = ExperimentService(
        db=services.db,
        audit=services.audit,
        clock=services.clock,
        bus=services.bus,
        catalog=services.catalog,
        connect=event_store_connector(store),
    )
    services.catalog.import_catalog(ImportRequest(entities=shop_payload()), actor=SYSTEM)
    service.create(ExperimentCreate.model_validate(experiment_body()), actor=SYSTEM)
    service.start("checkout-redesign", actor=SYSTEM)
    try:
        return service.analyse("checkout-redesign", actor=SYSTEM)
    finally:
        store.close()


def test_migration_matches_the_stored_rows(services: Services) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import orgloop.experiments.store  # noqa: F401 (registers the rows)
    from orgloop.kernel.db import Base

    with services.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "experiment" in repr(d)] == []


def test_an_srm_alert_reads_as_a_sentence() -> None:
    """The alert is shown as written (home page, CLI, notifications): units by variant in
    words, not a Python dict."""
    [(kind, message, details)] = alerts_of(
        {"srm_mismatch": True, "srm_p_value": 0.00012, "units": {"control": 500, "treatment": 440}}
    )
    assert kind == "srm"
    assert message == (
        "sample ratio mismatch (p = 0.00012): units per variant control 500, treatment 440"
    )
    assert details["units"] == {"control": 500, "treatment": 440}
