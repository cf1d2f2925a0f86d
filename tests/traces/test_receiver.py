"""``POST /v1/traces``: both encodings, gzip, the OTLP status codes and partial success."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orgloop.app import Services, create_otlp_app
from tests.traces.builders import BASE, SERVER, SpanSpec, call, export, new_trace_id
from tests.traces.conftest import PROTOBUF, new_token, post_protobuf

HOUR = timedelta(hours=1)
JSON_TRACE_ID = "5b8efff798038103d269b633813fc60c"

JSON_EXPORT = {
    "resourceSpans": [
        {
            "resource": {
                "attributes": [
                    {"key": "service.name", "value": {"stringValue": "web"}},
                    {"key": "service.version", "value": {"stringValue": "3.1.0"}},
                ]
            },
            "scopeSpans": [
                {
                    "scope": {"name": "json-test"},
                    "spans": [
                        {
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "parentSpanId": "",
                            "name": "GET /",
                            "kind": 2,
                            "startTimeUnixNano": "1767225600000000000",
                            "endTimeUnixNano": 1767225600010000000,
                            "status": {"code": "STATUS_CODE_ERROR", "message": "x"},
                            "attributes": [{"key": "http.route", "value": {"stringValue": "/"}}],
                        },
                        {
                            "trace_id": "5b8efff798038103d269b633813fc60c",
                            "span_id": "eee19b7ec3c1b175",
                            "parent_span_id": "eee19b7ec3c1b174",
                            "name": "SELECT",
                            "kind": "SPAN_KIND_CLIENT",
                            "start_time_unix_nano": "1767225600001000000",
                            "end_time_unix_nano": "1767225600002000000",
                            "attributes": [{"key": "db.name", "value": {"stringValue": "shop"}}],
                        },
                    ],
                }
            ],
        }
    ]
}


def test_protobuf_export_is_stored_and_shown(otlp: TestClient, trace_services: Services) -> None:
    client, server = call("web", "orders", at=BASE)
    status, reply = post_protobuf(otlp, export(client, server))
    assert status == 200
    assert not reply.HasField("partial_success")
    trace = trace_services.traces.trace(client.trace_id.hex())
    assert [(s.service, s.kind) for s in trace.spans] == [("web", "client"), ("orders", "server")]
    assert trace.spans[1].attributes["http.route"] == "/orders/{id}"


def test_gzip_protobuf_is_accepted(otlp: TestClient, trace_services: Services) -> None:
    client, server = call("web", "orders", at=BASE)
    status, _ = post_protobuf(otlp, export(client, server), compress=True)
    assert status == 200
    assert len(trace_services.traces.trace(client.trace_id.hex()).spans) == 2


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_json_export_uses_hex_ids_and_either_enum_form(
    otlp: TestClient, trace_services: Services, compress: bool
) -> None:
    trace_id = new_trace_id().hex()
    body = json.dumps(JSON_EXPORT).replace(JSON_TRACE_ID, trace_id).encode()
    headers = {"Content-Type": "application/json"}
    if compress:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    response = otlp.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    trace = trace_services.traces.trace(trace_id.upper())
    root, query = trace.spans
    assert (root.span_id, root.status, root.kind) == ("eee19b7ec3c1b174", "error", "server")
    assert (query.parent_span_id, query.kind) == ("eee19b7ec3c1b174", "client")
    graph = trace_services.traces.graph(since=BASE - HOUR, until=BASE + HOUR, service="shop")
    assert [(e.client, e.server, e.connection_type) for e in graph.edges] == [
        ("web", "shop", "database")
    ]


def test_bad_spans_are_rejected_with_partial_success(
    otlp: TestClient, trace_services: Services
) -> None:
    good = SpanSpec("web", SERVER, new_trace_id())
    short_trace = SpanSpec("web", SERVER, b"\x01" * 8)
    no_span_id = SpanSpec("web", SERVER, new_trace_id(), span_id=b"")
    ancient = SpanSpec("web", SERVER, new_trace_id(), start_ns=good.start_ns - 10 * 86_400 * 10**9)
    future = SpanSpec("web", SERVER, new_trace_id(), start_ns=good.start_ns + 86_400 * 10**9)
    status, reply = post_protobuf(otlp, export(good, short_trace, no_span_id, ancient, future))
    assert status == 200
    assert reply.partial_success.rejected_spans == 4
    message = reply.partial_success.error_message
    assert "spans[1].traceId: must be 16 bytes (32 hex digits), got 8" in message
    assert "spans[2].spanId: is missing" in message
    assert "older than the accepted window" in message
    assert "too far in the future" in message
    assert len(trace_services.traces.trace(good.trace_id.hex()).spans) == 1


def test_json_partial_success_is_json(otlp: TestClient) -> None:
    document = json.loads(json.dumps(JSON_EXPORT))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["span_id"] = "zz"
    response = otlp.post("/v1/traces", json=document)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "spans[1].spanId: is not a hex string of 16 digits" in partial["errorMessage"]


@pytest.mark.parametrize(
    ("body", "headers", "fragment"),
    [
        pytest.param(b"\xff\xff\xff", PROTOBUF, "not an OTLP", id="protobuf"),
        pytest.param(
            b"{not json", {"Content-Type": "application/json"}, "not valid JSON", id="json"
        ),
        pytest.param(
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}',
            {"Content-Type": "application/json"},
            "startTimeUnixNano",
            id="json-field",
        ),
        pytest.param(
            b"not gzip", {**PROTOBUF, "Content-Encoding": "gzip"}, "not valid gzip", id="gzip"
        ),
    ],
)
def test_malformed_bodies_are_400_with_a_status(
    otlp: TestClient, body: bytes, headers: dict[str, str], fragment: str
) -> None:
    response = otlp.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == 400
    if headers["Content-Type"] == "application/json":
        assert fragment in response.json()["message"]
    else:
        status = status_pb2.Status.FromString(response.content)
        assert fragment in status.message
        assert status.code == 3  # INVALID_ARGUMENT


def test_other_content_types_are_415(otlp: TestClient) -> None:
    response = otlp.post("/v1/traces", content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/x-protobuf" in response.json()["message"]


def test_a_body_that_inflates_past_the_limit_is_413(otlp: TestClient) -> None:
    bomb = gzip.compress(b"\0" * (17 * 1024 * 1024))
    response = otlp.post(
        "/v1/traces", content=bomb, headers={**PROTOBUF, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 413


def test_an_export_over_the_span_limit_is_413(otlp: TestClient, trace_services: Services) -> None:
    limit = trace_services.traces.settings.limits.max_spans
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    template = SpanSpec("web", SERVER, new_trace_id()).span()
    for _ in range(limit + 1):
        spans.append(template)
    status, _ = post_protobuf(otlp, request)
    assert status == 413


@pytest.mark.parametrize(
    ("role", "extra", "status"),
    [
        pytest.param("sdk", {"environment": "staging"}, 200, id="sdk"),
        pytest.param("admin", {}, 200, id="admin"),
        pytest.param("member", {"team": "checkout"}, 200, id="member"),
        pytest.param("viewer", {}, 403, id="viewer"),
    ],
)
def test_who_may_send_spans(
    raw_client: TestClient, trace_services: Services, role: str, extra: dict[str, str], status: int
) -> None:
    raw_client.headers["Authorization"] = "Bearer " + new_token(trace_services, role, **extra)
    assert post_protobuf(raw_client, export(*call("a", "b", at=BASE)))[0] == status


def test_without_a_token_is_401(raw_client: TestClient) -> None:
    response = raw_client.post("/v1/traces", content=export().SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 401
    assert status_pb2.Status.FromString(response.content).code == 16


def test_back_pressure_is_503_with_retry_after(
    otlp: TestClient, trace_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace_services.traces._store, "pending_spans", lambda: 10**9)
    response = otlp.post(
        "/v1/traces", content=export(*call("a", "b", at=BASE)).SerializeToString(), headers=PROTOBUF
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert status_pb2.Status.FromString(response.content).code == 14


def test_the_sdk_keys_environment_is_the_default_env(
    otlp: TestClient, trace_services: Services
) -> None:
    post_protobuf(otlp, export(*call("env-web", "env-orders", at=BASE)))
    window = {"since": BASE - HOUR, "until": BASE + HOUR, "service": "env-web"}
    assert len(trace_services.traces.graph(**window, env="production").edges) == 1
    assert trace_services.traces.graph(**window, env="staging").edges == []


def test_a_flooding_service_gets_429_while_others_get_through(
    otlp: TestClient, trace_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    traces = trace_services.traces
    limit = traces.settings.max_pending_spans
    monkeypatch.setattr(traces._store, "pending_spans", lambda: limit // 2)
    monkeypatch.setitem(traces._queued, "f-flood", limit // 2)
    flood = otlp.post(
        "/v1/traces",
        content=export(*call("f-flood", "f-api", at=BASE)).SerializeToString(),
        headers=PROTOBUF,
    )
    assert flood.status_code == 429
    assert int(flood.headers["Retry-After"]) >= 1
    assert "'f-flood'" in status_pb2.Status.FromString(flood.content).message
    status, _ = post_protobuf(otlp, export(*call("f-quiet", "f-api", at=BASE)))
    assert status == 200


def test_the_otlp_port_app_receives_spans_and_nothing_else(
    trace_services: Services, sdk_key: str
) -> None:
    with TestClient(create_otlp_app(trace_services)) as client:
        client.headers["Authorization"] = f"Bearer {sdk_key}"
        client_span, server_span = call("o-web", "o-api", at=BASE)
        status, _ = post_protobuf(client, export(client_span, server_span))
        assert status == 200
        assert client.get("/api/v1/traces/graph").status_code == 404
    assert len(trace_services.traces.trace(client_span.trace_id.hex()).spans) == 2


def test_a_resent_export_is_counted_once(otlp: TestClient, trace_services: Services) -> None:
    # Sent twice, as an exporter retries when a reply is lost: the same reply, stored once,
    # one call in the graph.
    client, server = call("resend-web", "resend-orders", at=BASE)
    traces = trace_services.traces
    stored_before = traces._store.count_spans()
    first = post_protobuf(otlp, export(client, server))
    assert post_protobuf(otlp, export(client, server)) == first
    assert first[0] == 200
    assert not first[1].HasField("partial_success")
    traces.flush()
    assert traces._store.count_spans() - stored_before == 2
    graph = traces.graph(since=BASE - HOUR, until=BASE + HOUR, service="resend-web")
    (edge,) = graph.edges
    assert (edge.client, edge.server, edge.requests) == ("resend-web", "resend-orders", 1.0)
    assert len(traces.trace(client.trace_id.hex()).spans) == 2
