"""Contracts, flags and experiments behind the dashboard's tests, made through services and API.

``populate`` gives the demo shop: the orders API in three versions (2.0.0 drops a field checkout
needs; 1.x retires at ``SUNSET``), deployments to staging and production, flags (one killed, one
still routing units to a decided experiment), and three experiments (one decided, one running
with a clear lift, one with a sample ratio mismatch) over ingested events, the running ones
analysed and recorded.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.contracts.models import (
    ApiVersionCreate,
    ContractCreate,
    DeploymentCreate,
    VerificationCreate,
)
from orgloop.experiments.models import DecisionIn, ExperimentCreate
from orgloop.flags.models import EnvironmentConfig, FlagCreate
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.models import TokenCreate
from tests.contracts.registry_builders import CHECKOUT_LIGHT, orders_api

START = datetime(2026, 1, 5, tzinfo=UTC)
SUNSET = (START + timedelta(days=25)).date()
"""When orders 1.x retires: within a month of when the pages are read (START + 4.5 days)."""
METRICS = {
    "conversion": {"key": "conversion", "kind": "proportion", "event": "purchase"},
    "revenue": {"key": "revenue", "event": "purchase", "aggregation": "sum"},
    "errors": {"key": "errors", "event": "error", "direction": "decrease", "guardrail": True},
    # No unit ever sends "refund": a guardrail without data yet.
    "refunds": {"key": "refunds", "kind": "proportion", "event": "refund", "direction": "decrease"},
}
ROLLOUT_RULES = [
    {"kind": "force", "id": "dutch-beta", "condition": {"country": {"$in": ["NL", "BE"]}},
     "value": True},
    {"kind": "experiment", "id": "ab", "key": "one-page-checkout", "variations": [False, True],
     "weights": [0.5, 0.5], "coverage": 0.8, "meta": [{"key": "control"}, {"key": "treatment"}]},
]  # fmt: skip


def populate(services: Services, app: FastAPI, clock: FixedClock) -> None:
    """Everything above; ``clock`` stands at START, when the experiments start."""
    contracts(services)
    flags(services)
    experiments(services, app, clock)


def contracts(services: Services) -> None:
    c = services.contracts
    new_field = orders_api(version="1.1.0")
    new_field["paths"]["/orders/{id}"]["get"]["description"] = "One order."
    new_field["info"]["x-sunset"] = SUNSET.isoformat()  # 2.0.0 replaces it; checkout must move
    for version, document in [
        ("1.0.0", orders_api()),
        ("1.1.0", new_field),
        ("2.0.0", orders_api(with_total=False, version="2.0.0")),
    ]:
        c.publish_api_version(
            "orders", ApiVersionCreate(version=version, document=document, api="orders-api"),
            actor=SYSTEM,
        )  # fmt: skip
    contract = ContractCreate(
        consumer_version="1.0.0", provider="orders", kind="light", content=CHECKOUT_LIGHT
    )
    c.publish_contract("checkout", contract, actor=SYSTEM)
    for env in ("staging", "production"):
        c.record_deployment("orders", DeploymentCreate(version="1.1.0", environment=env), actor=SYSTEM)  # fmt: skip
        c.record_deployment("checkout", DeploymentCreate(version="1.0.0", environment=env), actor=SYSTEM)  # fmt: skip
    c.record_verification(
        "orders",
        VerificationCreate(
            provider_version="1.1.0", consumer="checkout", consumer_version="1.0.0", success=True
        ),
        actor=SYSTEM,
    )


def flags(services: Services) -> None:
    f = services.flags
    on = EnvironmentConfig(enabled=True, rules=ROLLOUT_RULES)
    f.create_flag(
        FlagCreate(
            key="one-page-checkout", owner="checkout", description="The one-page checkout.",
            tags=["checkout"], default_value=False,
            environments={"staging": on, "production": on},
        ),
        actor=SYSTEM,
    )  # fmt: skip
    f.create_flag(
        FlagCreate(key="browser-kill", owner="checkout", default_value=False,
                   environments={"staging": EnvironmentConfig(enabled=True)}),
        actor=SYSTEM,
    )  # fmt: skip
    f.create_flag(
        FlagCreate(key="search-ranking", owner="discovery", default_value=False,
                   environments={"production": EnvironmentConfig(enabled=False)}),
        actor=SYSTEM,
    )  # fmt: skip
    f.create_flag(
        FlagCreate(key="free-shipping-banner", owner="checkout", default_value=False,
                   environments={"production": EnvironmentConfig(enabled=True, rules=[
                       {"kind": "experiment", "key": "free-shipping-banner",
                        "variations": [False, True], "weights": [0.5, 0.5],
                        "meta": [{"key": "control"}, {"key": "treatment"}]}])}),
        actor=SYSTEM,
    )  # fmt: skip
    f.create_flag(
        FlagCreate(key="new-header", owner="web-experience", default_value=False,
                   environments={"production": EnvironmentConfig(enabled=True)}),
        actor=SYSTEM,
    )  # fmt: skip
    f.kill("new-header", "production", actor=SYSTEM)


def experiment_body(key: str, owner: str = "checkout", **fields: Any) -> ExperimentCreate:
    body: dict[str, Any] = {
        "key": key, "hypothesis": f"{key} makes more visitors buy.", "owner": owner,
        "flag_key": key,
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [METRICS["conversion"]], "secondary_metrics": [METRICS["revenue"]],
        "guardrail_metrics": [METRICS["errors"]],
    }  # fmt: skip
    return ExperimentCreate.model_validate({**body, **fields})


def events(key: str, *, units: int, lift: float, share: float = 0.5, seed: int = 1) -> list[Any]:
    """Exposures over four days from START; the treatment buys ``lift`` more often."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(units):
        unit, treated = f"{key}-u{i}", rng.random() < share
        seen = START + timedelta(minutes=i * 4 * 24 * 60 / units)
        variant = "treatment" if treated else "control"
        out.append(_event("exposure", unit, seen, experiment=key, variant=variant))
        if rng.random() < 0.3 * (1 + lift if treated else 1):
            value = round(rng.uniform(10, 40), 2)
            out.append(_event("track", unit, seen + timedelta(hours=1), event="purchase", value=value))  # fmt: skip
        if rng.random() < 0.2:
            out.append(_event("track", unit, seen + timedelta(minutes=5), event="error"))
    return out


def _event(kind: str, unit: str, at: datetime, **fields: Any) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {"id": f"{kind}-{unit}-{stamp}-{fields.get('event', '')}", "type": kind, "unit": unit,
            "timestamp": stamp, **fields}  # fmt: skip


def ingest(services: Services, app: FastAPI, batch: list[Any]) -> None:
    key = services.tokens.create(TokenCreate(role="sdk", environment="production"), actor=SYSTEM)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/events",
            content=json.dumps({"events": batch}),
            headers={"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text


def experiments(services: Services, app: FastAPI, clock: FixedClock) -> None:
    e = services.experiments
    for body in [
        experiment_body("one-page-checkout"),
        experiment_body("free-shipping-banner"),
        experiment_body(
            "search-autocomplete",
            owner="discovery",
            guardrail_metrics=[METRICS["errors"], METRICS["refunds"]],
        ),
    ]:
        e.create(body, actor=SYSTEM)
        e.start(body.key, actor=SYSTEM)
    clock.advance(days=4, hours=12)
    ingest(services, app, events("one-page-checkout", units=1600, lift=0.6)
           + events("free-shipping-banner", units=600, lift=0.0, seed=2)
           + events("search-autocomplete", units=600, lift=0.0, share=0.7, seed=3))  # fmt: skip
    e.decide(
        "free-shipping-banner",
        DecisionIn(decision="kill", reason="No lift on conversion; not worth the cost."),
        actor=SYSTEM,
    )
    for key in ("one-page-checkout", "search-autocomplete"):  # as the analysis schedule does
        e.analyse(key, actor=SYSTEM, record=True)
