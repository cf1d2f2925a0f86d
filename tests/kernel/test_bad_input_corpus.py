"""The bad-input corpus: poisoned text, numbers JSON cannot carry, deep nesting and huge lists,
sent through one write endpoint of every family, on SQLite and PostgreSQL.

Whatever is sent: no 5xx; a refusal is a 4xx naming the problem (and, for poisoned values, the
field path); nothing is half-stored (the family's listing still serves and is unchanged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from fastapi.testclient import TestClient
from tests.catalog.builders import component, shop_payload
from tests.experiments.analysis_data import METRICS_YAML

SLOT = "__SLOT__"
METRICS = yaml.safe_load(METRICS_YAML)["metrics"]

POISONED = {
    "lone high surrogate": '"\\ud800"',
    "lone low surrogate": '"x\\udfff"',
    "NUL character": '"a\\u0000b"',
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e400": "1e400",
}
SHAPES = {
    "10,000 deep": "[" * 10_000 + "]" * 10_000,
    "100,000 items": "[" + ",".join(["1"] * 100_000) + "]",
}


@dataclass(frozen=True)
class Family:
    name: str
    method: str
    url: str
    body: Any  # holds SLOT once, where the bad value goes
    path: str  # the field path of SLOT, as the refusal names it
    listing: str


def _families() -> list[Family]:
    entity = component("payments", "checkout")
    entity["descriptor"]["metadata"]["description"] = SLOT
    pact = {
        "consumer": {"name": "checkout"},
        "provider": {"name": "orders"},
        "interactions": [{"description": SLOT}],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    otlp = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": SLOT}}]
                },
                "scopeSpans": [],
            }
        ]
    }
    experiment = {
        "key": "corpus-experiment",
        "hypothesis": SLOT,
        "owner": "checkout",
        "flag_key": "corpus-base",
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [METRICS[0]],
    }
    metric = {**experiment, "hypothesis": "h", "primary_metrics": [{**METRICS[0], "name": SLOT}]}
    event = {
        "id": "corpus-1",
        "type": "track",
        "unit": "u1",
        "timestamp": "2025-12-31T13:00:00Z",
        "event": "purchase",
        "properties": {"note": SLOT},
    }
    return [
        Family(
            "catalog entity",
            "PUT",
            "/api/v1/catalog/entities",
            entity,
            "descriptor.metadata.description",
            "/api/v1/catalog/entities",
        ),
        Family(
            "flag create",
            "POST",
            "/api/v1/flags",
            {"key": "corpus-flag", "owner": "checkout", "type": "number", "default_value": SLOT},
            "default_value",
            "/api/v1/flags",
        ),
        Family(
            "flag rules",
            "PUT",
            "/api/v1/flags/corpus-base/environments/production",
            {"enabled": True, "rules": [{"kind": "force", "condition": {"id": SLOT}, "value": 2}]},
            "rules[0].condition.id",
            "/api/v1/flags/corpus-base",
        ),
        Family(
            "saved group",
            "POST",
            "/api/v1/saved-groups",
            {"key": "corpus-group", "owner": "checkout", "values": ["u1", SLOT]},
            "values[1]",
            "/api/v1/saved-groups",
        ),
        Family(
            "experiment",
            "POST",
            "/api/v1/experiments",
            experiment,
            "hypothesis",
            "/api/v1/experiments",
        ),
        Family(
            "metric",
            "POST",
            "/api/v1/experiments",
            metric,
            "primary_metrics[0].name",
            "/api/v1/experiments",
        ),
        Family(
            "contract",
            "POST",
            "/api/v1/services/checkout/contracts",
            {"consumer_version": "1.0.0", "provider": "orders", "kind": "pact", "content": pact},
            "content.interactions[0].description",
            "/api/v1/contracts",
        ),
        Family(
            "pact broker publish",
            "POST",
            "/pact-broker/contracts/publish",
            {"pacticipantName": "checkout", "pacticipantVersionNumber": SLOT, "contracts": []},
            "pacticipantVersionNumber",
            "/api/v1/contracts",
        ),
        Family(
            "api version",
            "POST",
            "/api/v1/services/orders/api-versions",
            {
                "version": "1.0.0",
                "document": {
                    "openapi": "3.0.3",
                    "info": {"title": SLOT, "version": "1.0.0"},
                    "paths": {},
                },
            },
            "document.info.title",
            "/api/v1/services/orders/api-versions",
        ),
        Family(
            "events",
            "POST",
            "/api/v1/events",
            {"events": [event]},
            "events[0].properties.note",
            "/api/v1/health",
        ),
        Family(
            "token",
            "POST",
            "/api/v1/tokens",
            {"role": "viewer", "name": SLOT},
            "name",
            "/api/v1/tokens",
        ),
        Family(
            "insights import",
            "POST",
            "/api/v1/insights/imports/json",
            {
                "changes": [
                    {"change_id": "c1", "service": SLOT, "time_created": "2026-01-01T00:00Z"}
                ]
            },
            "changes[0].service",
            "/api/v1/insights/dora",
        ),
        Family(
            "traces OTLP JSON",
            "POST",
            "/v1/traces",
            otlp,
            "resourceSpans[0].resource.attributes[0].value.stringValue",
            "/api/v1/traces/graph",
        ),
    ]


def _raw(body: Any, value: str) -> bytes:
    text = json.dumps(body)
    assert text.count(f'"{SLOT}"') == 1
    return text.replace(f'"{SLOT}"', value).encode()


def _setup(admin: TestClient) -> None:
    imported = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert imported.status_code == 200, imported.text
    base = {"key": "corpus-base", "owner": "checkout", "type": "number", "default_value": 1}
    assert admin.post("/api/v1/flags", json=base).status_code == 201


def _listing(admin: TestClient, url: str) -> Any:
    response = admin.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    return response.json()


def test_no_bad_input_breaks_any_family(admin: TestClient) -> None:
    _setup(admin)
    problems: list[str] = []
    for family in _families():
        before = _listing(admin, family.listing)
        cases = {**POISONED, **SHAPES}
        for label, value in cases.items():
            response = admin.request(
                family.method,
                family.url,
                content=_raw(family.body, value),
                headers={"Content-Type": "application/json"},
            )
            where = f"{family.name} with {label}: {response.status_code} {response.text[:200]}"
            if response.status_code >= 500:
                problems.append(where)
                continue
            if label in POISONED:
                error = response.json().get("error", {}) if response.status_code == 422 else {}
                if family.path not in error.get("message", ""):
                    problems.append(f"{where} (expected 422 naming {family.path})")
            elif label == "10,000 deep" and not 400 <= response.status_code < 500:
                problems.append(f"{where} (expected a 4xx)")
            elif response.status_code >= 400 and not response.text.strip():
                problems.append(f"{where} (a refusal must say why)")
            if response.status_code >= 400 and _listing(admin, family.listing) != before:
                problems.append(f"{where}: half-stored (the listing changed)")
    assert not problems, "\n".join(problems)


def test_nul_in_a_query_parameter_is_refused_with_its_name(admin: TestClient) -> None:
    response = admin.get("/api/v1/catalog/entities", params={"owner": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["path"] == "owner"
    assert admin.get("/api/v1/audit", params={"action": "x\x00"}).status_code == 422
    assert admin.get("/api/v1/flags/a%00b").status_code == 422
    invalid_utf8 = admin.get("/api/v1/catalog/entities?owner=%ED%B3%BF")  # a surrogate, encoded
    assert invalid_utf8.status_code < 500


def test_an_escaped_backslash_before_u_is_plain_text(admin: TestClient) -> None:
    """``"\\\\ud800"`` in JSON is the six characters ``\\ud800``, not a surrogate: accepted."""
    body = b'{"role": "viewer", "name": "C:\\\\ud800 NaN 1e400"}'
    response = admin.post(
        "/api/v1/tokens", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["token"]["name"] == "C:\\ud800 NaN 1e400"
