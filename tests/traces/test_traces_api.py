"""``/api/v1/traces/...``: one trace, unknown services, an edge over time, bad ids."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.traces.builders import BASE, call, export, new_trace_id
from tests.traces.conftest import new_token, post_protobuf


def reader(client: TestClient, services: Services) -> TestClient:
    client.headers["Authorization"] = "Bearer " + new_token(services, "viewer")
    return client


def test_a_trace_comes_back_in_start_order(otlp: TestClient, trace_services: Services) -> None:
    client, server = call("a-web", "a-orders", at=BASE, error=True)
    post_protobuf(otlp, export(server, client))
    body = reader(otlp, trace_services).get(f"/api/v1/traces/{client.trace_id.hex()}").json()
    assert [(s["service"], s["kind"], s["status"]) for s in body["spans"]] == [
        ("a-web", "client", "unset"),
        ("a-orders", "server", "error"),
    ]
    assert body["errors"] == 1
    assert body["services"] == ["a-orders", "a-web"]
    assert body["spans"][1]["resource"]["service.version"] == "2.0.0"


def test_unknown_and_malformed_trace_ids(otlp: TestClient, trace_services: Services) -> None:
    client = reader(otlp, trace_services)
    missing = client.get(f"/api/v1/traces/{new_trace_id().hex()}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    bad = client.get("/api/v1/traces/not-a-trace")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["path"] == "trace_id"


def test_unknown_services_over_http(otlp: TestClient, trace_services: Services) -> None:
    post_protobuf(otlp, export(*call("u-cron", "u-api", at=BASE)))
    body = reader(otlp, trace_services).get("/api/v1/traces/unknown-services").json()
    assert {"u-cron", "u-api"} <= {item["service"] for item in body["items"]}


def test_an_edge_over_time(otlp: TestClient, trace_services: Services) -> None:
    for minute in range(3):
        at = BASE - timedelta(minutes=minute)
        post_protobuf(otlp, export(*call("e-web", "e-orders", at=at, server_seconds=0.1)))
    response = reader(otlp, trace_services).get(
        "/api/v1/traces/edge",
        params={"client": "e-web", "server": "e-orders", "since": "10m", "step": 60},
    )
    body = response.json()
    assert body["edge"]["requests"] == 3
    assert body["edge"]["server_latency"]["p50"] == 0.1
    assert [p["requests"] for p in body["series"]] == [1, 1, 1]


def test_bad_windows_are_422(otlp: TestClient, trace_services: Services) -> None:
    response = reader(otlp, trace_services).get("/api/v1/traces/graph", params={"since": "soon"})
    assert response.status_code == 422
    assert "since" in response.json()["error"]["message"]


def test_an_sdk_key_cannot_read_the_graph(otlp: TestClient) -> None:
    assert otlp.get("/api/v1/traces/graph").status_code == 403
