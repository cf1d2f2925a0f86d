"""Runtime services mapped to the catalog: owning teams, unknown services, observed vs declared.

Runs on SQLite and PostgreSQL (the catalog's stores).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from orgloop.app import Services
from orgloop.catalog.models import ImportRequest
from orgloop.kernel.auth import SYSTEM
from orgloop.traces.service import TraceService
from tests.traces.builders import BASE, CLIENT, SERVER, SpanSpec, call, export, shop_catalog

WINDOW = {"since": BASE - timedelta(hours=1), "until": BASE + timedelta(hours=1)}


def ingest(traces: TraceService, *specs: SpanSpec) -> None:
    summary, committed = traces.ingest(export(*specs))
    committed.result()
    assert summary.rejected == 0


def observe_shop(services: Services) -> None:
    services.catalog.import_catalog(ImportRequest(entities=shop_catalog()), actor=SYSTEM)
    traces = services.traces
    ingest(traces, *call("web", "orders", at=BASE))  # declared through the orders API
    ingest(traces, *call("orders", "billing", at=BASE, error=True))  # declared by nobody
    ingest(traces, SpanSpec("web", CLIENT, b"\x09" * 16, attributes={"db.name": "shop-db"}))
    ingest(traces, *call("mystery", "web", at=BASE))  # not in the catalog


def test_nodes_carry_their_component_and_owning_team(services: Services) -> None:
    observe_shop(services)
    graph = services.traces.graph(**WINDOW)
    nodes = {n.id: (n.kind, n.component, n.team) for n in graph.nodes}
    assert nodes == {
        "web": ("service", "component:default/web", "group:default/storefront"),
        "orders": ("service", "component:default/orders-service", "group:default/storefront"),
        "billing": ("service", "component:default/billing", "group:default/money"),
        "shop-db": ("database", "resource:default/shop-db", "group:default/storefront"),
        "mystery": ("unknown_service", None, None),
    }


def test_observed_calls_are_compared_with_declared_ones(services: Services) -> None:
    observe_shop(services)
    graph = services.traces.graph(**WINDOW)
    declared = {(e.client, e.server): e.declared for e in graph.edges}
    assert declared == {
        ("web", "orders"): True,
        ("orders", "billing"): False,
        ("web", "shop-db"): True,
        ("mystery", "web"): False,
    }
    assert [(c.client, c.server) for c in graph.undeclared] == [("orders", "billing")]
    assert [(d.client, d.server, d.via) for d in graph.unused] == [
        ("component:default/web", "component:default/billing", "dependsOn")
    ]
    failing = next(e for e in graph.edges if e.server == "billing")
    assert (failing.requests, failing.failed, failing.error_rate) == (1.0, 1.0, 1.0)


def test_unknown_services_are_listed_not_dropped(services: Services) -> None:
    observe_shop(services)
    ingest(services.traces, SpanSpec("batch-job", SERVER, b"\x0a" * 16))
    unknown = services.traces.unknown_services().items
    assert [(u.service, u.spans) for u in unknown] == [("batch-job", 1), ("mystery", 1)]
    assert services.traces.trace((b"\x0a" * 16).hex()).spans[0].service == "batch-job"


def test_a_catalog_change_maps_a_service_at_once(services: Services) -> None:
    observe_shop(services)
    assert "mystery" in {u.service for u in services.traces.unknown_services().items}
    entities = [
        *shop_catalog(),
        {
            "descriptor": {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": "mystery"},
                "spec": {"type": "service", "lifecycle": "experimental", "owner": "money"},
            }
        },
    ]
    services.catalog.import_catalog(ImportRequest(entities=entities), actor=SYSTEM)
    graph = services.traces.graph(**WINDOW)
    assert next(n for n in graph.nodes if n.id == "mystery").team == "group:default/money"
    assert services.traces.unknown_services().items == []


def test_the_graph_api_filters_by_service(admin: TestClient, services: Services) -> None:
    observe_shop(services)
    response = admin.get(
        "/api/v1/traces/graph", params={"since": WINDOW["since"].isoformat(), "service": "billing"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [(e["client"], e["server"]) for e in body["edges"]] == [("orders", "billing")]
    assert {n["id"] for n in body["nodes"]} == {"orders", "billing"}
    assert [(d["client"], d["server"]) for d in body["unused"]] == [
        ("component:default/web", "component:default/billing")
    ]
