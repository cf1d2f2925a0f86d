"""Spans, calls and services seen are kept for the retention period, then deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orgloop.app import Services
from orgloop.kernel.clock import FixedClock
from orgloop.traces.errors import TraceNotFound
from tests.traces.builders import BASE, call, export


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
