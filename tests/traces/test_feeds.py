"""What the traces slice feeds other slices, read through ``TraceService``: the consumers
observed calling a provider (per environment) and how deep each entry point's traces call."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from orgloop.app import Services
from tests.traces.builders import BASE, CLIENT, SpanSpec, call, export, new_trace_id
from tests.traces.conftest import new_token, post_protobuf

WINDOW = {"since": BASE - timedelta(hours=1), "until": BASE + timedelta(hours=1)}


def test_observed_consumers_are_those_of_the_environment_asked_for(
    otlp: TestClient, trace_services: Services
) -> None:
    post_protobuf(otlp, export(*call("feed-web", "feed-orders", at=BASE)))  # SDK key: production
    staging = new_token(trace_services, "sdk", environment="staging")
    otlp.headers["Authorization"] = f"Bearer {staging}"
    post_protobuf(otlp, export(*call("feed-batch", "feed-orders", at=BASE)))
    traces = trace_services.traces

    def consumers(env: str | None) -> list[str]:
        return [c.consumer for c in traces.observed_calls("feed-orders", **WINDOW, env=env)]

    assert consumers("production") == ["feed-web"]
    assert consumers("staging") == ["feed-batch"]
    assert consumers(None) == ["feed-batch", "feed-web"]


def test_call_depth_per_entry_point(otlp: TestClient, trace_services: Services) -> None:
    deep = new_trace_id()  # depth-web -> depth-orders -> depth-pay -> depth-db: 3 calls deep
    specs = [
        *call("depth-web", "depth-orders", at=BASE, trace_id=deep),
        *call("depth-orders", "depth-pay", at=BASE, trace_id=deep),
        SpanSpec("depth-pay", CLIENT, deep, attributes={"db.name": "depth-db"}),
        *call("depth-web", "depth-orders", at=BASE),  # another trace: 1 call deep
        *call("depth-cron", "depth-orders", at=BASE),  # a third, entering elsewhere
    ]
    assert post_protobuf(otlp, export(*specs))[0] == 200
    depths = {d.entry: d for d in trace_services.traces.call_depths(**WINDOW, env="production")}
    web = depths["depth-web"]
    assert (web.traces, web.max, web.mean) == (2, 3, 2.0)
    assert abs(web.p95 - 2.9) < 1e-9  # between 1 and 3, nearer the deeper trace
    assert (depths["depth-cron"].traces, depths["depth-cron"].max) == (1, 1)
