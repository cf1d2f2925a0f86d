"""The service graph read from a real Prometheus scraping the connector's metric names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from orgloop.app import Services, build_services, create_app
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings
from orgloop.traces.catalogmap import CatalogIndex
from orgloop.traces.models import GraphEdge, ServiceGraph
from orgloop.traces.prometheus import PrometheusGraph, PrometheusUnavailable, from_settings
from tests.live import LiveServer
from tests.traces.prometheus_server import ExpositionTarget, Prometheus, free_port
from tests.web.conftest import import_shop
from tests.web.traces_builders import export, shop_trace

BOUNDS = ("0.05", "0.1", "0.25", "+Inf")
# (labels, requests per scrape, failed per scrape, server bucket, client bucket): every server
# duration falls in one bucket, so histogram_quantile's interpolation gives exact figures.
SERIES = [
    ({"client": "frontend", "server": "checkout", "connection_type": "",
      "client_service_version": "2.0.0", "server_service_version": "3.1.0",
      "server_orgloop_variants": "checkout-test=control"}, 6, 0, 1, 2),
    ({"client": "frontend", "server": "checkout", "connection_type": "",
      "client_service_version": "2.0.0", "server_service_version": "3.1.0",
      "server_orgloop_variants": "checkout-test=one-page"}, 4, 2, 1, 2),
    ({"client": "checkout", "server": "payments", "connection_type": "",
      "client_service_version": "3.1.0", "server_service_version": "1.2.0"}, 20, 0, 0, 1),
    ({"client": "checkout", "server": "payments", "connection_type": "",
      "client_service_version": "3.1.0", "server_service_version": "1.3.0"}, 10, 1, 0, 1),
    ({"client": "checkout", "server": "postgres", "connection_type": "database",
      "client_service_version": "3.1.0", "server_service_version": ""}, 5, 0, 0, 0),
]  # fmt: skip


def _labels(labels: dict[str, str], **extra: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in {**labels, **extra}.items()) + "}"


def exposition(scrape: int) -> str:
    """What a connector would expose after ``scrape`` seconds of steady traffic."""
    name = "traces_service_graph_request"
    lines = [f"# TYPE {name}_total counter", f"# TYPE {name}_failed_total counter"]
    for labels, requests, failed, server_bucket, client_bucket in SERIES:
        n = requests * scrape
        lines.append(f"{name}_total{_labels(labels)} {n}")
        if failed:
            lines.append(f"{name}_failed_total{_labels(labels)} {failed * scrape}")
        for side, bucket in (("server", server_bucket), ("client", client_bucket)):
            for i, le in enumerate(BOUNDS):
                count = n if i >= bucket else 0
                lines.append(f"{name}_{side}_seconds_bucket{_labels(labels, le=le)} {count}")
            lines.append(f"{name}_{side}_seconds_sum{_labels(labels)} {n * 0.01 * (bucket + 1)}")
            lines.append(f"{name}_{side}_seconds_count{_labels(labels)} {n}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    target = ExpositionTarget(exposition)
    server = Prometheus(tmp_path_factory.mktemp("prometheus"), target.address)
    try:
        server.wait_for_samples("traces_service_graph_request_total", 4)
        yield server
    finally:
        server.stop()
        target.stop()


@pytest.fixture(scope="module")
def read_graph(prometheus: Prometheus) -> ServiceGraph:
    reader = PrometheusGraph(prometheus.url, index=CatalogIndex)
    try:
        until = datetime.now(UTC)
        return reader.graph(since=until - timedelta(minutes=5), until=until)
    finally:
        reader.close()


def _edge(graph: ServiceGraph, client: str, server: str) -> GraphEdge:
    return next(e for e in graph.edges if (e.client, e.server) == (client, server))


def test_the_edges_and_nodes_are_those_prometheus_holds(read_graph: ServiceGraph) -> None:
    assert read_graph.source == "prometheus"
    assert [(e.client, e.server, e.connection_type) for e in read_graph.edges] == [
        ("checkout", "payments", ""),
        ("checkout", "postgres", "database"),
        ("frontend", "checkout", ""),
    ]
    kinds = {node.id: node.kind for node in read_graph.nodes}
    assert kinds["postgres"] == "database"
    assert kinds["checkout"] == "unknown_service"  # the empty catalog maps no service


def test_counts_keep_the_traffic_proportions(read_graph: ServiceGraph) -> None:
    front = _edge(read_graph, "frontend", "checkout")
    payments = _edge(read_graph, "checkout", "payments")
    database = _edge(read_graph, "checkout", "postgres")
    # increase() extrapolates every series of one scrape alike: ratios are exact.
    assert payments.requests / front.requests == pytest.approx(3.0, rel=1e-6)
    assert database.requests / front.requests == pytest.approx(0.5, rel=1e-6)
    assert front.error_rate == pytest.approx(0.2, rel=1e-6)
    assert payments.error_rate == pytest.approx(1 / 30, rel=1e-6)
    assert database.failed == 0
    assert front.requests >= 10 * 3  # at least three scrapes' growth
    assert front.rate == pytest.approx(front.requests / 300, rel=1e-6)


def test_latency_quantiles_come_from_the_histograms(read_graph: ServiceGraph) -> None:
    front = _edge(read_graph, "frontend", "checkout")
    # Every server span of this edge in (0.05, 0.1]: linear interpolation within the bucket.
    assert front.server_latency.p50 == pytest.approx(0.075)
    assert front.server_latency.p95 == pytest.approx(0.0975)
    assert front.server_latency.p99 == pytest.approx(0.0995)
    assert front.server_latency.mean == pytest.approx(0.02)
    assert front.client_latency.p50 == pytest.approx(0.175)
    payments = _edge(read_graph, "checkout", "payments")
    assert payments.server_latency.p50 == pytest.approx(0.025)


def test_edges_split_by_version_and_variant(read_graph: ServiceGraph) -> None:
    payments = _edge(read_graph, "checkout", "payments")
    shares = {s.value: s.requests / payments.requests for s in payments.by_server_version}
    assert shares == pytest.approx({"1.2.0": 2 / 3, "1.3.0": 1 / 3})
    assert [s.value for s in payments.by_client_version] == ["3.1.0"]
    front = _edge(read_graph, "frontend", "checkout")
    variants = {s.value: s for s in front.by_variant}
    assert set(variants) == {"checkout-test=control", "checkout-test=one-page"}
    assert variants["checkout-test=control"].error_rate == 0
    assert variants["checkout-test=one-page"].error_rate == pytest.approx(0.5)
    assert front.by_operation == []  # the metrics carry no route label


def test_a_service_filter_keeps_its_edges(prometheus: Prometheus) -> None:
    reader = PrometheusGraph(prometheus.url, index=CatalogIndex)
    until = datetime.now(UTC)
    graph = reader.graph(since=until - timedelta(minutes=5), until=until, service="payments")
    reader.close()
    assert [(e.client, e.server) for e in graph.edges] == [("checkout", "payments")]


def test_an_unreachable_prometheus_is_unavailable_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    reader = PrometheusGraph(url, index=CatalogIndex, timeout=2)
    until = datetime.now(UTC)
    with pytest.raises(PrometheusUnavailable, match=url) as caught:
        reader.graph(since=until - timedelta(minutes=5), until=until)
    reader.close()
    assert caught.value.status == 503


def test_a_bad_query_answer_is_unavailable_with_prometheus_words(prometheus: Prometheus) -> None:
    reader = PrometheusGraph(prometheus.url, index=CatalogIndex)
    with pytest.raises(PrometheusUnavailable, match="parse error"):
        reader.query("sum by (", at=datetime.now(UTC).timestamp(), by=())
    reader.close()


def test_nothing_in_prometheus_is_an_empty_graph(tmp_path: Path) -> None:
    target = ExpositionTarget(lambda _: "# nothing yet\n")
    server = Prometheus(tmp_path, target.address)
    try:
        reader = PrometheusGraph(server.url, index=CatalogIndex)
        until = datetime.now(UTC)
        graph = reader.graph(since=until - timedelta(minutes=5), until=until)
        reader.close()
    finally:
        server.stop()
        target.stop()
    assert graph.edges == []
    assert graph.nodes == []


# -- Prometheus scraping a live orgloop's /metrics ---------------------------------------------


@pytest.fixture
def live_orgloop(tmp_path: Path) -> Iterator[tuple[Services, str, str]]:
    """orgloop on the system clock (ingest checks span times), with a viewer token."""
    data = tmp_path / "orgloop"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{tmp_path / 'o.db'}")
    services = build_services(settings)
    viewer = services.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM).secret
    try:
        with LiveServer(create_app(services=services)) as server:
            yield services, server.url, viewer
    finally:
        services.close()


def _send(services: Services, first: int, count: int) -> None:
    spans = [
        s for n in range(first, first + count) for s in shop_trace(n, _now(), failing=n % 4 == 0)
    ]
    for service in ("storefront", "checkout", "payments", "fraud-check"):
        _summary, stored = services.traces.ingest(export(spans, service, "1.0.0"))
        stored.result(timeout=30)
    services.traces.flush()


def _now() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def test_prometheus_scraping_orgloop_reads_back_orgloops_graph(
    live_orgloop: tuple[Services, str, str], tmp_path: Path
) -> None:
    services, url, viewer = live_orgloop
    target = url.removeprefix("http://")
    prometheus = Prometheus(tmp_path / "prometheus", target, bearer=viewer)
    try:
        _send(services, 1, 20)
        prometheus.wait_for_samples("traces_service_graph_request_total", 2)
        _send(services, 21, 40)  # counters must grow inside the window for increase()
        prometheus.wait_for_samples("traces_service_graph_request_total", 5)
        reader = PrometheusGraph(prometheus.url, index=CatalogIndex)
        until = datetime.now(UTC)
        read = reader.graph(since=until - timedelta(minutes=5), until=until)
        reader.close()
    finally:
        prometheus.stop()
    own = services.traces.graph(since=timedelta(minutes=5))
    # Root spans become "user" edges only when their TTL expires: maybe after the last scrape.
    pairs = {(e.client, e.server) for e in own.edges if e.client != "user"}
    calls = [e for e in read.edges if e.client != "user"]
    assert {(e.client, e.server) for e in calls} == pairs
    assert len(pairs) == 4
    for edge in calls:
        mine = next(e for e in own.edges if (e.client, e.server) == (edge.client, edge.server))
        assert mine.requests == 60
        assert 40 <= edge.requests <= 60 * 1.6  # increase() sees the growth, extrapolated
        assert edge.error_rate == pytest.approx(mine.error_rate, abs=0.02)
        assert [s.value for s in edge.by_client_version] == ["1.0.0"]


def test_the_setting_chooses_prometheus_and_maps_services_to_the_catalog(
    prometheus: Prometheus, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'o.db'}")
    services = build_services(settings)
    try:
        assert from_settings(settings, services.catalog) is None  # unset: orgloop pairs
        import_shop(services)
        settings.service_graph_prometheus_url = prometheus.url
        reader = from_settings(settings, services.catalog)
        assert reader is not None
        until = datetime.now(UTC)
        graph = reader.graph(since=until - timedelta(minutes=5), until=until)
        reader.close()
    finally:
        services.close()
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["checkout"].team == "group:default/checkout"
    assert nodes["payments"].kind == "service"
    assert nodes["frontend"].kind == "unknown_service"  # the shop calls it storefront
    assert _edge(graph, "checkout", "payments").declared


def test_with_the_setting_the_api_answers_the_graph_from_prometheus(
    prometheus: Prometheus, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "orgloop",
        database_url=f"sqlite:///{tmp_path / 'o.db'}",
        service_graph_prometheus_url=prometheus.url,
    )
    services = build_services(settings)
    try:
        import_shop(services)
        viewer = services.tokens.create(TokenCreate(role="viewer"), actor=SYSTEM).secret
        with LiveServer(create_app(services=services)) as server:
            response = httpx.get(
                f"{server.url}/api/v1/traces/graph",
                params={"since": "5m"},
                headers={"Authorization": f"Bearer {viewer}"},
                timeout=30,
            )
    finally:
        services.close()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "prometheus"  # not the (empty) span store's graph
    edges = {(e["client"], e["server"]): e for e in body["edges"]}
    assert set(edges) == {
        ("checkout", "payments"),
        ("checkout", "postgres"),
        ("frontend", "checkout"),
    }
    assert edges["frontend", "checkout"]["error_rate"] == pytest.approx(0.2, rel=1e-6)
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["checkout"]["team"] == "group:default/checkout"
