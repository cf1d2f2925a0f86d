"""``/metrics``: the graph under the servicegraph connector's names, valid for Prometheus."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from orgloop.app import Services, build_services, create_app
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.settings import Settings
from tests.traces.builders import BASE, call, export
from tests.traces.conftest import new_token, post_protobuf

PROMTOOL = shutil.which("promtool")


def _labels(**pairs: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs.items()) + "}"


def test_the_graph_is_served_in_the_connectors_names(
    otlp: TestClient, trace_services: Services
) -> None:
    post_protobuf(otlp, export(*call("m-web", "m-orders", at=BASE, server_seconds=0.3)))
    post_protobuf(otlp, export(*call("m-web", "m-orders", at=BASE, error=True)))
    otlp.headers["Authorization"] = "Bearer " + new_token(trace_services, "viewer")
    response = otlp.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    ok = _labels(
        client="m-web",
        client_service_version="1.0.0",
        connection_type="",
        failed="false",
        server="m-orders",
        server_service_version="2.0.0",
    )
    failed = ok.replace('failed="false"', 'failed="true"')
    assert f"traces_service_graph_request_total{ok} 1\n" in text
    assert f"traces_service_graph_request_failed_total{failed} 1\n" in text
    assert f"traces_service_graph_request_failed_total{ok}" not in text
    bucket = ok[:-1] + ',le="0.2"}'
    assert f"traces_service_graph_request_server_seconds_bucket{bucket} 0\n" in text
    bucket = ok[:-1] + ',le="0.4"}'
    assert f"traces_service_graph_request_server_seconds_bucket{bucket} 1\n" in text
    assert f"traces_service_graph_request_server_seconds_sum{ok} 0.3\n" in text
    assert f"traces_service_graph_request_client_seconds_count{ok} 1\n" in text
    assert "orgloop_traces_pairing_expired_total" in text


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) not installed")
def test_promtool_accepts_the_exposition(
    otlp: TestClient, trace_services: Services, tmp_path: Path
) -> None:
    post_protobuf(otlp, export(*call("p-web", "p-orders", at=BASE)))
    text = trace_services.traces.metrics_text()
    checked = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_metrics_need_a_token_but_not_an_sdk_key(
    raw_client: TestClient, trace_services: Services
) -> None:
    assert raw_client.get("/metrics").status_code == 401
    raw_client.headers["Authorization"] = "Bearer " + new_token(
        trace_services, "sdk", environment="production"
    )
    assert raw_client.get("/metrics").status_code == 403


@pytest.fixture
def public_metrics(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'o.db'}",
        metrics_public=True,
    )
    services = build_services(settings, clock=FixedClock())
    with TestClient(create_app(services=services)) as client:
        yield client
    services.close()


def test_metrics_can_be_made_public(public_metrics: TestClient) -> None:
    assert public_metrics.get("/metrics").status_code == 200
