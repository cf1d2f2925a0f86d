"""``orgloop traces graph|show|unknown`` against a live server, as a user runs them."""

from __future__ import annotations

import json

from orgloop.app import Services
from orgloop.catalog.models import ImportRequest
from orgloop.kernel.auth import SYSTEM
from tests.cli import run
from tests.live import LiveServer
from tests.traces.builders import BASE, call, export, shop_catalog


def seed(services: Services) -> str:
    services.catalog.import_catalog(ImportRequest(entities=shop_catalog()), actor=SYSTEM)
    client, server = call("web", "orders", at=BASE, server_seconds=0.25)
    for specs in ((client, server), call("orders", "billing", at=BASE, error=True)):
        _, committed = services.traces.ingest(export(*specs))
        committed.result()
    _, committed = services.traces.ingest(export(*call("cron", "web", at=BASE)))
    committed.result()
    return client.trace_id.hex()


def test_graph_as_json_and_as_a_table(cli_env: LiveServer, services: Services) -> None:
    seed(services)
    result = run("traces", "graph", "--since", "1h", "--json")
    assert result.exit_code == 0, result.stderr
    graph = json.loads(result.stdout)
    edges = {(e["client"], e["server"]): e for e in graph["edges"]}
    assert edges[("web", "orders")]["server_latency"]["p50"] == 0.25
    assert edges[("orders", "billing")]["error_rate"] == 1.0
    team = {n["id"]: n["team"] for n in graph["nodes"]}
    assert team["billing"] == "group:default/money"
    table = run("traces", "graph", "--service", "billing")
    assert table.exit_code == 0
    assert "orders" in table.stdout
    assert "100.0%" in table.stdout
    assert "declared, never observed: component:default/web -> component:default/billing" in (
        table.stdout.replace("\n", " ")
    )


def test_show_draws_the_waterfall(cli_env: LiveServer, services: Services) -> None:
    trace_id = seed(services)
    result = run("traces", "show", trace_id)
    assert result.exit_code == 0, result.stderr
    assert "GET /orders/{id}" in result.stdout
    assert "group:default/storefront" in result.stdout
    as_json = json.loads(run("traces", "show", trace_id, "--json").stdout)
    assert [s["service"] for s in as_json["spans"]] == ["web", "orders"]


def test_show_an_unknown_trace_is_an_input_error(cli_env: LiveServer) -> None:
    result = run("traces", "show", "0" * 31 + "1")
    assert result.exit_code == 2
    assert "no spans of trace" in result.stderr


def test_unknown_lists_services_the_catalog_lacks(cli_env: LiveServer, services: Services) -> None:
    seed(services)
    result = run("traces", "unknown", "--json")
    assert result.exit_code == 0
    assert [i["service"] for i in json.loads(result.stdout)["items"]] == ["cron"]
    assert "cron" in run("traces", "unknown").stdout
