"""Spans, calls and services seen are kept for the retention period, then deleted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orgloop.app import Services, build_services
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import RandomIds
from orgloop.kernel.settings import Settings
from orgloop.traces.errors import TraceNotFound
from tests.traces.builders import BASE, CLIENT, SpanSpec, call, export


def test_purge_deletes_what_is_older_than_the_retention(
    services: Services, clock: FixedClock
) -> None:
    traces = services.traces
    old_client, old_server = call("r-web", "r-api", at=BASE)
    traces.ingest(export(old_client, old_server))[1].result()
    clock.advance(hours=71)
    recent = BASE + timedelta(hours=71)
    new_client, new_server = call("r-web", "r-api", at=recent)
    traces.ingest(export(new_client, new_server))[1].result()
    clock.advance(hours=2)  # the first export is now 73 h old; retention is 72 h

    assert traces.purge() == 2

    with pytest.raises(TraceNotFound):
        traces.trace(old_client.trace_id.hex())
    assert len(traces.trace(new_client.trace_id.hex()).spans) == 2
    graph = traces.graph(since=BASE - timedelta(hours=1), until=clock.now())
    assert [(e.client, e.server, e.requests) for e in graph.edges] == [("r-web", "r-api", 1.0)]


def test_the_store_counts_what_it_holds(services: Services) -> None:
    client, server = call("c-web", "c-api", at=BASE)
    services.traces.ingest(export(client, server))[1].result()
    services.traces.ingest(export(client, server))[1].result()  # resent as is: not stored again
    services.traces.ingest(export(server, client))[1].result()  # the same spans, other bytes
    services.traces.flush()
    store = services.traces._store
    assert (store.count_spans(), store.count_distinct_spans(), store.count_edges()) == (4, 2, 2)


def test_a_resend_after_a_restart_is_still_recognised(tmp_path: Path) -> None:
    """The exporter's retry lands on a restarted server: the same reply as the first time
    (including its partial success), and the spans are not stored a second time."""
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    client, server = call("restart-web", "restart-api", at=BASE)
    broken = SpanSpec("restart-web", CLIENT, trace_id=b"\x01")  # a trace id of one byte
    body = export(client, server, broken).SerializeToString()

    def sent() -> ExportTraceServiceRequest:  # the same bytes each time, as a retry sends them
        return ExportTraceServiceRequest.FromString(body)

    first_run = build_services(settings, clock=FixedClock(BASE), ids=RandomIds())
    try:
        first, stored = first_run.traces.ingest(sent(), environment="production", raw=body)
        stored.result(timeout=30)
    finally:
        first_run.close()
    assert (first.accepted, first.rejected) == (2, 1)
    second_run = build_services(settings, clock=FixedClock(BASE), ids=RandomIds())
    try:
        again, stored = second_run.traces.ingest(sent(), environment="production", raw=body)
        stored.result(timeout=30)
        second_run.traces.flush()
        assert (again.accepted, again.rejected, again.message) == (2, 1, first.message)
        assert second_run.traces._store.count_spans() == 2  # not stored again
        # Another environment's identical bytes are another export.
        _, stored = second_run.traces.ingest(sent(), environment="staging", raw=body)
        stored.result(timeout=30)
        second_run.traces.flush()
        assert second_run.traces._store.count_spans() == 4
    finally:
        second_run.close()
