"""Span metrics: latency and error-rate guardrails per variant, from spans the traces slice
stored, with the same statistics as event metrics (one observation per request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgloop.app import Services, build_services
from orgloop.catalog.models import ImportRequest
from orgloop.experiments.config import config_metrics, parse_config
from orgloop.experiments.errors import MetricInvalid
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.models import ExperimentCreate, Variation
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.errors import InvalidInput
from orgloop.kernel.ids import RandomIds
from orgloop.kernel.settings import Settings
from tests.catalog.builders import shop_payload
from tests.traces.builders import BASE, SpanSpec, call, export

KEY = "one-page-checkout"
VARIATIONS = [Variation(key="control", weight=1), Variation(key="treatment", weight=1)]
ROUTE = "/checkout"
REQUESTS = 400
LATENCY = {"control": 0.100, "treatment": 0.120}  # seconds: treatment is 20% slower
ERRORS = {"control": 0.05, "treatment": 0.15}

LATENCY_METRIC = {
    "key": "checkout-latency", "kind": "span", "service": "checkout", "route": ROUTE,
    "measure": "latency",
}  # fmt: skip
ERROR_METRIC = {"key": "checkout-errors", "kind": "span", "service": "checkout", "measure": "error_rate"}  # fmt: skip


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    built = build_services(settings, clock=FixedClock(), ids=RandomIds())
    built.catalog.import_catalog(
        ImportRequest.model_validate({"entities": shop_payload()}), actor=SYSTEM
    )
    yield built
    built.close()


def requests(rng: np.random.Generator) -> list[SpanSpec]:
    """REQUESTS calls of storefront to checkout per variant, plus calls the metrics must ignore:
    without a variant, of another experiment, to another route (for the latency metric)."""
    specs: list[SpanSpec] = []
    for n in range(2 * REQUESTS):
        variant = "control" if n % 2 else "treatment"
        at = BASE + timedelta(minutes=5, milliseconds=10 * n)
        variants = f"a-b-test=x,{KEY}={variant}" if n % 3 else f"{KEY}={variant}"
        specs += call(
            "storefront", "checkout", at=at, route=ROUTE,
            server_seconds=max(0.001, rng.normal(LATENCY[variant], 0.03)),
            error=bool(rng.random() < ERRORS[variant]),
            server_attributes={"orgloop.variants": variants},
        )  # fmt: skip
    at = BASE + timedelta(minutes=6)
    specs += call("storefront", "checkout", at=at, route=ROUTE, server_seconds=9.0)
    specs += call(
        "storefront", "checkout", at=at, route=ROUTE, server_seconds=9.0,
        server_attributes={"orgloop.variants": "another=treatment"},
    )  # fmt: skip
    specs += call(
        "storefront", "checkout", at=at, route="/cart", server_seconds=9.0,
        server_attributes={"orgloop.variants": f"{KEY}=treatment"},
    )  # fmt: skip
    return specs


def analysed(services: Services, **fields: Any) -> dict[str, Any]:
    body = ExperimentCreate(
        key=KEY, hypothesis="A one-page checkout converts more.", owner="checkout",
        flag_key=KEY, variations=VARIATIONS,
        primary_metrics=[{"key": "orders", "event": "order"}],
        guardrail_metrics=[LATENCY_METRIC, ERROR_METRIC], **fields,
    )  # fmt: skip
    services.experiments.create(body, actor=SYSTEM)
    services.experiments.start(KEY, actor=SYSTEM)
    assert isinstance(services.clock, FixedClock)
    services.clock.advance(hours=1)
    _, stored = services.traces.ingest(export(*requests(np.random.default_rng(7))))
    stored.result(timeout=30)
    exposed(services, users=100)
    return services.experiments.analyse(KEY, actor=SYSTEM)


def exposed(services: Services, *, users: int) -> None:
    """``users`` exposed units per variant; every third orders once."""
    at = (BASE + timedelta(minutes=1)).isoformat()
    wire: list[dict[str, Any]] = []
    for n in range(2 * users):
        unit, variant = f"u{n}", ("control", "treatment")[n % 2]
        wire.append({"id": f"x{n}", "type": "exposure", "unit": unit, "experiment": KEY,
                     "variant": variant, "timestamp": at})  # fmt: skip
        if n % 3 == 0:
            wire.append({"id": f"t{n}", "type": "track", "unit": unit, "event": "order",
                         "timestamp": at})  # fmt: skip
    now = services.clock.now()
    batch = parse_batch(json.dumps({"events": wire}).encode(), now=now, limits=IngestLimits())
    services.event_store().append(batch, received_at=now)


def row(report: dict[str, Any], metric: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in report["rows"] if r["metric"] == metric]
    assert len(found) == 1
    return found[0]


def test_latency_difference_is_found_with_its_sign_and_an_interval_covering_it(
    services: Services,
) -> None:
    report = analysed(services)
    latency = row(report, "checkout-latency")
    assert latency["unit"] == "request"
    assert (latency["units"], latency["control_units"]) == (REQUESTS, REQUESTS)
    truth = LATENCY["treatment"] / LATENCY["control"] - 1
    assert latency["lift"] == pytest.approx(truth, abs=0.05)
    assert latency["lift_ci_low"] < truth < latency["lift_ci_high"]
    assert latency["lift_ci_low"] > 0
    assert latency["p_value"] < 0.001
    assert latency["verdict"] == "worse"  # slower is worse: span metrics default to decrease
    assert latency["role"] == "guardrail"
    assert report["recommendation"] == "kill"
    assert "guardrail breached" in report["reason"]
    assert report["units"] == {"control": 100, "treatment": 100}  # SRM stays on exposed units
    assert row(report, "orders")["units"] == 100


def test_error_rate_difference_is_found_as_a_proportion(services: Services) -> None:
    errors = row(analysed(services), "checkout-errors")
    assert errors["unit"] == "request"
    # every route of the service: the 400 per variant plus the one /cart call of treatment
    assert (errors["units"], errors["control_units"]) == (REQUESTS + 1, REQUESTS)
    assert 0.0 < errors["control_mean"] < 0.1 < errors["mean"] < 0.25
    truth = ERRORS["treatment"] / ERRORS["control"] - 1
    assert errors["lift_ci_low"] < truth < errors["lift_ci_high"]
    assert errors["lift_ci_low"] > 0
    assert errors["verdict"] == "worse"


def test_without_spans_the_rows_have_no_data(services: Services) -> None:
    body = ExperimentCreate(
        key="quiet", hypothesis="Nothing happens.", owner="checkout", flag_key="quiet",
        variations=VARIATIONS,
        primary_metrics=[{"key": "orders", "event": "order"}],
        guardrail_metrics=[LATENCY_METRIC],
    )  # fmt: skip
    services.experiments.create(body, actor=SYSTEM)
    services.experiments.start("quiet", actor=SYSTEM)
    latency = row(services.experiments.analyse("quiet", actor=SYSTEM), "checkout-latency")
    assert latency["units"] == 0
    assert latency["status"] != "ok"
    assert latency["verdict"] == "inconclusive"


@pytest.mark.parametrize(
    ("definition", "complaint"),
    [
        ({"key": "x", "kind": "span", "measure": "latency"}, "service and measure"),
        ({"key": "x", "kind": "span", "service": "checkout"}, "service and measure"),
        ({"key": "x", "kind": "span", "service": "c", "measure": "p99"}, "measure"),
        ({"key": "x", "kind": "span", "service": "c", "measure": "latency", "event": "e"}, "only"),
        ({"key": "x", "event": "e", "route": "/x"}, "route belongs to span metrics"),
    ],
)
def test_bad_span_metric_definitions_are_refused_clearly(
    definition: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(MetricInvalid, match=complaint):
        parse_metrics([definition])


def test_the_offline_analysis_refuses_span_metrics_by_name(tmp_path: Path) -> None:
    config = parse_config(
        {
            "source": {"duckdb": "events.duckdb"},
            "experiment": KEY,
            "metrics": [{"key": "orders", "event": "order"}, LATENCY_METRIC],
        }
    )
    with pytest.raises(InvalidInput, match=r"checkout-latency.*need a server with traces"):
        config_metrics(config, tmp_path)
