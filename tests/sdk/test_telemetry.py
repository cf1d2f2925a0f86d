"""``orgloop.sdk.instrument`` on a real FastAPI service: server and client spans, W3C propagation,
the flag variations a request saw, and OTLP/HTTP export with the SDK key."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.responses import Response

import orgloop.sdk
from orgloop.sdk import Client, Telemetry
from orgloop.sdk.variants import SEEN
from tests.live import LiveServer
from tests.sdk.test_client import RULESET

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _downstream() -> FastAPI:
    app = FastAPI()

    @app.get("/stock/{sku}")
    def stock(sku: str, request: Request) -> dict[str, Any]:
        return {"sku": sku, "traceparent": request.headers.get("traceparent")}

    return app


def _checkout(flags: Client, downstream_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def order(order_id: str, plan: str = "free") -> dict[str, Any]:
        dark = flags.is_on("dark-mode", {"id": order_id, "plan": plan})
        variant = flags.get_value("checkout", "control", {"id": order_id})
        reply = httpx.get(f"{downstream_url}/stock/sku-1", timeout=5).json()
        return {"dark": dark, "variant": variant, "seen_traceparent": reply["traceparent"]}

    @app.get("/fail")
    def fail() -> None:
        raise RuntimeError("boom")

    return app


@dataclass
class Traced:
    url: str
    exported: InMemorySpanExporter
    flags: Client
    telemetry: Telemetry

    def spans(self, kind: SpanKind, count: int) -> list[ReadableSpan]:
        """The finished spans of ``kind``, once ``count`` of them are (a server span ends just
        after its response is sent)."""
        deadline = time.monotonic() + 10
        while True:
            self.telemetry.flush()
            spans = [s for s in self.exported.get_finished_spans() if s.kind == kind]
            if len(spans) >= count or time.monotonic() > deadline:
                return spans
            time.sleep(0.02)


@pytest.fixture
def traced() -> Iterator[Traced]:
    exported = InMemorySpanExporter()
    flags = Client(ruleset=RULESET, environment="production")
    with LiveServer(_downstream()) as downstream:
        app = _checkout(flags, downstream.url)
        telemetry = orgloop.sdk.instrument(
            app, service="checkout", version="3.1.0", environment="production",
            exporter=exported, set_global=False,
        )  # fmt: skip
        try:
            with LiveServer(app) as server:
                yield Traced(server.url, exported, flags, telemetry)
        finally:
            telemetry.shutdown()
            flags.close()


def test_a_request_makes_a_server_span_with_the_service_route_and_variants(
    traced: Traced,
) -> None:
    body = httpx.get(f"{traced.url}/orders/u-42", params={"plan": "pro"}, timeout=10).json()

    server = next(s for s in traced.spans(SpanKind.SERVER, 1) if "orders" in s.name)
    assert server.name == "GET /orders/{order_id}"
    assert server.resource.attributes["service.name"] == "checkout"
    assert server.resource.attributes["service.version"] == "3.1.0"
    assert server.resource.attributes["deployment.environment.name"] == "production"
    attributes = server.attributes or {}
    assert attributes["http.route"] == "/orders/{order_id}"
    assert attributes["feature_flag.dark-mode"] == "true"
    assert attributes["feature_flag.checkout"] == body["variant"]
    assert attributes["orgloop.variants"] == f"checkout-test={body['variant']}"
    assert traced.flags.get_value("checkout", None, {"id": "u-42"}) == body["variant"]


def test_outgoing_httpx_calls_are_client_spans_that_carry_traceparent(
    traced: Traced,
) -> None:
    body = httpx.get(f"{traced.url}/orders/u-1", timeout=10).json()

    server = next(s for s in traced.spans(SpanKind.SERVER, 1) if "orders" in s.name)
    # The test's own call is traced too (httpx is instrumented process-wide): pick the call
    # made from inside the request.
    client = next(
        s for s in traced.spans(SpanKind.CLIENT, 1)
        if s.parent is not None and s.parent.span_id == server.context.span_id
    )  # fmt: skip
    assert client.context.trace_id == server.context.trace_id
    trace_id, span_id = f"{client.context.trace_id:032x}", f"{client.context.span_id:016x}"
    assert body["seen_traceparent"].startswith(f"00-{trace_id}-{span_id}-")
    assert (client.attributes or {})["server.address"] == "127.0.0.1"


def test_an_incoming_traceparent_continues_the_callers_trace(
    traced: Traced,
) -> None:
    # Not through httpx: the process-wide instrumentation would start a trace of its own.
    request = urllib.request.Request(
        f"{traced.url}/orders/u-7", headers={"traceparent": TRACEPARENT}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200

    server = next(s for s in traced.spans(SpanKind.SERVER, 1) if "orders" in s.name)
    assert f"{server.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert server.parent is not None
    assert f"{server.parent.span_id:016x}" == "b7ad6b7169203331"


def test_a_failing_request_is_an_error_span_without_variants(
    traced: Traced,
) -> None:
    assert httpx.get(f"{traced.url}/fail", timeout=10).status_code == 500

    (server,) = traced.spans(SpanKind.SERVER, 1)
    assert server.status.is_ok is False
    assert [event.name for event in server.events] == ["exception"]
    assert not any(key.startswith("feature_flag.") for key in server.attributes or {})


def test_evaluations_outside_a_request_record_nothing() -> None:
    with Client(ruleset=RULESET, environment="production") as flags:
        flags.is_on("dark-mode", {"id": "u1"})
        assert SEEN.get() is None


def test_spans_reach_an_otlp_http_endpoint_with_the_sdk_key() -> None:
    received: list[tuple[str | None, ExportTraceServiceRequest]] = []
    receiver = FastAPI()

    @receiver.post("/v1/traces")
    async def traces(request: Request) -> Response:
        body = ExportTraceServiceRequest.FromString(await request.body())
        received.append((request.headers.get("authorization"), body))
        return Response(b"", media_type="application/x-protobuf")

    with LiveServer(receiver) as server:
        app = FastAPI()

        @app.get("/ping")
        def ping() -> str:
            return "pong"

        telemetry = orgloop.sdk.instrument(
            app, service="pinger", version="1.0.0", url=server.url + "/", sdk_key="olp_sdk_x",
            environment="staging", httpx=False, set_global=False,
        )  # fmt: skip
        try:
            with LiveServer(app) as service:
                httpx.get(f"{service.url}/ping", timeout=10)
            assert telemetry.flush(10_000)
        finally:
            telemetry.shutdown()

    assert received, "the exporter sent nothing"
    authorization, request = received[0]
    assert authorization == "Bearer olp_sdk_x"
    resource = {
        kv.key: kv.value.string_value for kv in request.resource_spans[0].resource.attributes
    }
    assert resource["service.name"] == "pinger"
    assert resource["deployment.environment.name"] == "staging"
    names = [s.name for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert "GET /ping" in names


def test_a_plain_asgi_app_is_refused_with_the_remedy() -> None:
    async def bare(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        raise AssertionError("not called")

    with pytest.raises(TypeError, match=r"telemetry\.wrap\(app\)"):
        orgloop.sdk.instrument(
            bare, service="bare", exporter=InMemorySpanExporter(), httpx=False, set_global=False
        )


def test_calls_to_orgloops_own_api_are_left_untraced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_PYTHON_HTTPX_EXCLUDED_URLS", "")  # restored after the test
    echo = FastAPI()

    @echo.get("/{path:path}")
    def anything(path: str) -> str:
        return path

    exported = InMemorySpanExporter()
    with LiveServer(echo) as server:
        telemetry = orgloop.sdk.instrument(
            service="checkout", url=server.url, exporter=exported, set_global=False
        )
        try:
            httpx.get(f"{server.url}/api/v1/sdk/ruleset", timeout=5)  # the flag client's call
            httpx.get(f"{server.url}/stock/1", timeout=5)  # the service's own traffic
            telemetry.flush()
        finally:
            telemetry.shutdown()
    urls = [(s.attributes or {}).get("url.full") for s in exported.get_finished_spans()]
    assert urls == [f"{server.url}/stock/1"]
