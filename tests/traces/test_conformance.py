"""The same traces give the same metrics as the Collector's servicegraph connector.

Fixtures from ``connector/servicegraphconnector/testdata`` are read in place (see the suite's
README for their commits and the connector settings each needs). Two adjustments, both stated
by that README: the old-form virtual-node files predate the fix for swapped client/server
latencies (connector issue #32689), so their two histogram names are swapped back before
comparing; and the messaging-system file's extra ``..._messaging_system_seconds`` histogram
belongs to an option that was never released, which orgloop does not implement (its data point
is empty there), so that one metric is left out of the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgloop.traces.columns import EdgeColumns
from orgloop.traces.decoding import from_json_object
from orgloop.traces.intake import IngestLimits, flatten
from orgloop.traces.metrics import SeriesAggregator, Snapshot
from orgloop.traces.pairing import DEFAULT_BUCKETS, Pairer, PairingConfig
from tests.conformance import suite
from tests.traces.builders import SpanSpec, call, export

SPAN_TIME = datetime(2027, 1, 15, 8, tzinfo=UTC)
SHORT_BUCKETS = (0.1, 1.0, 10.0)
OLD_PEERS = ("peer.service", "db.system", "messaging.system")
CONNECTOR_PEERS = ("peer.service", "db.name", "db.system")
UNRELEASED = "traces_service_graph_request_messaging_system_seconds"

Normal = dict[tuple[str, frozenset[tuple[str, Any]]], Any]


@dataclass(frozen=True)
class Case:
    trace: str | None
    expected: str
    config: PairingConfig
    swapped: bool = False


CASES = {
    "extra-dimensions-queue-db": Case(
        "extra-dimensions-queue-db-trace.yaml",
        "extra-dimensions-queue-db-expected-metrics.yaml",
        PairingConfig(
            dimensions=("db.system", "messaging.system"),
            buckets=SHORT_BUCKETS,
            max_items=10,
            virtual_node_peer_attributes=CONNECTOR_PEERS,
            database_name_attributes=("db.name",),
        ),
    ),
    "failed-label-not-work": Case(
        None,
        "failed-label-not-work-expect-metrics.yaml",
        PairingConfig(
            dimensions=(),
            buckets=DEFAULT_BUCKETS,
            max_items=10,
            virtual_node_peer_attributes=CONNECTOR_PEERS,
            database_name_attributes=("db.name",),
        ),
    ),
    "messaging-system": Case(
        "messaging-system-trace.yaml",
        "messaging-system-trace-expected-metrics.yaml",
        PairingConfig(
            dimensions=(),
            virtual_node_peer_attributes=CONNECTOR_PEERS,
            database_name_attributes=("db.name",),
        ),
    ),
    "virtual-node-label-client": Case(
        "virtual-node-label-client-trace.yaml",
        "virtual-node-label-client-expected-metrics.yaml",
        PairingConfig(
            dimensions=("peer.service.name", "db.system", "messaging.system"),
            virtual_node_peer_attributes=("peer.service.name", "db.system", "messaging.system"),
            virtual_node_extra_label=True,
            buckets=SHORT_BUCKETS,
            max_items=10,
            database_name_attributes=("db.name",),
        ),
    ),
    "virtual-node-label-server": Case(
        "virtual-node-label-trace.yaml",  # its first trace; see _only_first_trace
        "virtual-node-label-server-expected-metrics.yaml",
        PairingConfig(
            dimensions=OLD_PEERS,
            virtual_node_peer_attributes=OLD_PEERS,
            virtual_node_extra_label=True,
            buckets=SHORT_BUCKETS,
            max_items=10,
            database_name_attributes=("db.name",),
        ),
        swapped=True,
    ),
    "virtual-node-label": Case(
        "virtual-node-label-trace.yaml",
        "virtual-node-label-expected-metrics.yaml",
        PairingConfig(
            dimensions=OLD_PEERS,
            virtual_node_peer_attributes=OLD_PEERS,
            virtual_node_extra_label=True,
            buckets=SHORT_BUCKETS,
            max_items=10,
            database_name_attributes=("db.name",),
        ),
        swapped=True,
    ),
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _failed_label_trace() -> Any:
    """The missing trace of the failed-label case, as its README describes it: foo calls bar
    three times, each call lasting 1 s, and one of them fails."""
    specs: list[SpanSpec] = []
    for failing in (False, False, True):
        client, server = call(
            "foo", "bar", at=SPAN_TIME, client_seconds=1.0, server_seconds=1.0, error=failing
        )
        client.start_ns = server.start_ns = int(SPAN_TIME.timestamp() * 1e9)
        specs += [client, server]
    return export(*specs)


def run(case_name: str, case: Case) -> Snapshot:
    if case.trace is None:
        request = _failed_label_trace()
    else:
        document = _load(suite("otel-servicegraph") / case.trace)
        if case_name == "virtual-node-label-server":
            document["resourceSpans"] = document["resourceSpans"][:1]
        request = from_json_object(document)
    flat = flatten(request, now=SPAN_TIME, limits=IngestLimits(), config=case.config)
    metrics = SeriesAggregator(case.config)
    batches: list[EdgeColumns] = []
    pairer = Pairer(case.config, on_edges=batches.append)
    pairer.add(flat.halves, 0.0)
    pairer.expire_all()  # the connector tests expire the store before building metrics
    for batch in batches:
        metrics.add(batch)
    return metrics.snapshot()


def _attributes(items: list[dict[str, Any]]) -> frozenset[tuple[str, Any]]:
    out = []
    for item in items:
        value = item["value"]
        out.append((item["key"], value.get("stringValue", value.get("boolValue"))))
    return frozenset(out)


def expected_metrics(path: Path, *, swapped: bool) -> Normal:
    document = _load(path)
    normal: Normal = {}
    for metric in document["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]:
        name = metric["name"].removesuffix("_seconds")
        if metric["name"] == UNRELEASED:
            continue
        if swapped:
            name = {
                "traces_service_graph_request_server": "traces_service_graph_request_client",
                "traces_service_graph_request_client": "traces_service_graph_request_server",
            }.get(name, name)
        if "sum" in metric:
            for point in metric["sum"]["dataPoints"]:
                normal[(name, _attributes(point["attributes"]))] = float(point["asInt"])
        else:
            for point in metric["histogram"]["dataPoints"]:
                normal[(name, _attributes(point["attributes"]))] = (
                    float(point["count"]),
                    round(float(point["sum"]), 9),
                    tuple(float(c) for c in point["bucketCounts"]),
                    tuple(float(b) for b in point["explicitBounds"]),
                )
    return normal


def produced_metrics(snapshot: Snapshot) -> Normal:
    normal: Normal = {}
    bounds = tuple(float(b) for b in snapshot.bounds)
    for s in snapshot.series:
        attrs = frozenset([*s.labels.items(), ("failed", s.failed)])
        base = "traces_service_graph_request"
        normal[(f"{base}_total", attrs)] = s.requests
        if s.failed:
            normal[(f"{base}_failed_total", attrs)] = s.failures
        for side, h in (("server", s.server), ("client", s.client)):
            normal[(f"{base}_{side}", attrs)] = (
                h.count,
                round(h.total, 9),
                tuple(h.counts),
                bounds,
            )
    return normal


@pytest.mark.parametrize("name", list(CASES))
def test_the_connector_metrics_come_out_the_same(name: str) -> None:
    case = CASES[name]
    expected = expected_metrics(suite("otel-servicegraph") / case.expected, swapped=case.swapped)
    assert expected, "the fixture has data points"
    assert produced_metrics(run(name, case)) == expected
