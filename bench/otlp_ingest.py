"""OTLP/HTTP trace ingest, protobuf in batches of 512 spans, until paired and stored.

Starts a real ``orgloop serve`` on a temporary data directory (admin token bootstrapped as the
demo does, an SDK key made through the API) and load-generator processes that post
pre-serialised ``ExportTraceServiceRequest`` bodies to ``POST /v1/traces`` over keep-alive
connections, one service's spans per request as each service's batch span processor sends them.
Each trace is 11 spans over five services (server and client pairs, two databases, one message
through a broker), each span with 10-20 attributes and a resource of 9. Reports acknowledged spans
per second, then polls the service graph until every call is paired and stored (the rate the
target is judged on), stops the server and counts the stored spans: acknowledged but not stored
is ``lost``. In the same run it times ``ExportTraceServiceRequest.FromString`` alone over the same
payloads (the floor: protobuf decoding) and reports the ratio.

    .venv/bin/python -m bench.otlp_ingest [--spans 1000000] [--processes 4] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness, loadgen
from bench.ingest_http import machine
from bench.loadgen import cpu_seconds, request, sdk_token

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "otlp_ingest.json"
SPANS_PER_TRACE = 11
#: Calls per trace the graph shows at once (the root's "user" edge comes only after the TTL):
#: frontend->checkout, checkout->payments, checkout->inventory, checkout->shipping (messaging),
#: payments->postgres and inventory->redis (databases).
PAIRED_PER_TRACE = 6
SERVICES = ("frontend", "checkout", "payments", "inventory", "shipping")
VERSIONS = {"frontend": "2.4.1", "checkout": "3.1.0", "payments": "1.3.0",
            "inventory": "5.0.2", "shipping": "0.9.7"}  # fmt: skip


# -- payloads ----------------------------------------------------------------------------------


def _attributes(pairs: dict[str, Any]) -> list[Any]:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    values = []
    for key, value in pairs.items():
        if isinstance(value, bool):
            any_value = AnyValue(bool_value=value)
        elif isinstance(value, int):
            any_value = AnyValue(int_value=value)
        else:
            any_value = AnyValue(string_value=str(value))
        values.append(KeyValue(key=key, value=any_value))
    return values


def _http(method: str, route: str, path: str, peer: str, status: int) -> dict[str, Any]:
    return {
        "http.request.method": method, "http.route": route, "url.path": path,
        "url.scheme": "http", "http.response.status_code": status, "server.address": peer,
        "server.port": 8080, "network.protocol.version": "1.1",
        "user_agent.original": "python-httpx/0.28.1", "client.address": "10.0.3.17",
        "network.peer.address": "10.0.4.22", "thread.name": "AnyIO worker thread",
    }  # fmt: skip


def _templates() -> dict[str, Any]:
    """One span per role, with its attributes; per trace only ids, times and status change."""
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    server, client = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT
    flags = {"orgloop.variants": "checkout-test=one-page", "feature_flag.new-checkout": "true",
             "feature_flag.checkout-test": "one-page", "enduser.id": "user-1042",
             "session.id": "5f0c1b2e"}  # fmt: skip

    def span(name: str, kind: int, attributes: dict[str, Any]) -> Span:
        return Span(name=name, kind=kind, attributes=_attributes(attributes))  # type: ignore[arg-type]

    orders = _http("POST", "/api/orders", "/api/orders", "checkout", 201)
    payments = _http("POST", "/api/payments", "/api/payments", "payments", 201)
    stock = _http("GET", "/api/stock/{sku}", "/api/stock/sku-881", "inventory", 200)
    return {
        "front.server": span("GET /checkout", server,
                             _http("GET", "/checkout", "/checkout", "shop.example", 200) | flags),
        "front.orders": span("POST", client, orders | {"url.full": "http://checkout:8080/api/orders"}),
        "checkout.server": span("POST /api/orders", server, orders | flags),
        "checkout.payments": span("POST", client, payments | {"url.full": "http://payments:8080/api/payments"}),
        "checkout.stock": span("GET", client, stock | {"url.full": "http://inventory:8080/api/stock/sku-881"}),
        "checkout.publish": span("orders publish", Span.SPAN_KIND_PRODUCER, {
            "messaging.system": "kafka", "messaging.destination.name": "orders",
            "messaging.operation.type": "publish", "messaging.message.id": "m-1",
            "messaging.kafka.message.key": "order-1", "server.address": "kafka-1",
            "server.port": 9092, "messaging.client.id": "checkout-1",
            "messaging.kafka.destination.partition": 3, "network.transport": "tcp"}),
        "payments.server": span("POST /api/payments", server, payments),
        "payments.db": span("INSERT payments", client, {
            "db.system": "postgresql", "db.name": "postgres", "db.operation.name": "INSERT",
            "db.collection.name": "payments", "server.address": "pg-1", "server.port": 5432,
            "db.query.text": "INSERT INTO payments (id, amount) VALUES ($1, $2)",
            "network.peer.address": "10.0.9.3", "db.user": "payments", "thread.name": "main"}),
        "inventory.server": span("GET /api/stock/{sku}", server, stock),
        "inventory.db": span("GET", client, {
            "db.system": "redis", "db.name": "redis", "db.operation.name": "GET",
            "server.address": "redis-1", "server.port": 6379, "db.query.text": "GET stock:sku-881",
            "network.peer.address": "10.0.9.7", "db.redis.database_index": 0,
            "thread.name": "main", "code.function": "stock_level"}),
        "shipping.consume": span("orders process", Span.SPAN_KIND_CONSUMER, {
            "messaging.system": "kafka", "messaging.destination.name": "orders",
            "messaging.operation.type": "process", "messaging.message.id": "m-1",
            "messaging.consumer.group.name": "shipping", "server.address": "kafka-1",
            "server.port": 9092, "messaging.kafka.message.offset": 42,
            "messaging.kafka.destination.partition": 3, "network.transport": "tcp"}),
    }  # fmt: skip


# (role, service, parent role, start offset ms, duration ms)
_LAYOUT = (
    ("front.server", "frontend", None, 0, 120),
    ("front.orders", "frontend", "front.server", 5, 100),
    ("checkout.server", "checkout", "front.orders", 7, 95),
    ("checkout.payments", "checkout", "checkout.server", 10, 40),
    ("payments.server", "payments", "checkout.payments", 12, 36),
    ("payments.db", "payments", "payments.server", 14, 8),
    ("checkout.stock", "checkout", "checkout.server", 52, 20),
    ("inventory.server", "inventory", "checkout.stock", 53, 18),
    ("inventory.db", "inventory", "inventory.server", 54, 2),
    ("checkout.publish", "checkout", "checkout.server", 80, 3),
    ("shipping.consume", "shipping", "checkout.publish", 90, 30),
)


def _resource(service: str, worker: int) -> Any:
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource

    return Resource(attributes=_attributes({
        "service.name": service, "service.version": VERSIONS[service],
        "deployment.environment.name": "bench", "service.instance.id": f"{service}-{worker}",
        "host.name": f"node-{worker}", "process.pid": 1000 + worker,
        "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.45.2"}))  # fmt: skip


def payloads(
    worker: int, traces: int, first: int, batch: int, now_ns: int
) -> list[tuple[bytes, int]]:
    """One generator's requests, as (protobuf body, spans), services interleaved in time order."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    templates = _templates()
    by_service: dict[str, list[Span]] = {name: [] for name in SERVICES}
    for t in range(first, first + traces):
        trace_id = (t + 1).to_bytes(8, "big") + (worker + 1).to_bytes(8, "big")
        start = now_ns - 60_000_000_000 + (t % 50_000) * 1_000_000
        ids: dict[str, bytes] = {}
        for n, (role, service, parent, offset, duration) in enumerate(_LAYOUT):
            span = Span()
            span.CopyFrom(templates[role])
            span.trace_id = trace_id
            ids[role] = span.span_id = ((t + 1) * 16 + n).to_bytes(6, "big") + worker.to_bytes(
                2, "big"
            )
            if parent is not None:
                span.parent_span_id = ids[parent]
            span.start_time_unix_nano = start + offset * 1_000_000
            span.end_time_unix_nano = span.start_time_unix_nano + duration * 1_000_000
            if role == "payments.server" and t % 50 == 0:
                span.status.code = Status.STATUS_CODE_ERROR
            by_service[service].append(span)
    scope = {"name": "opentelemetry.instrumentation.asgi", "version": "0.66b2"}
    ordered: list[tuple[float, bytes, int]] = []
    for service, spans in by_service.items():
        resource = _resource(service, worker)
        chunks = [spans[i : i + batch] for i in range(0, len(spans), batch)]
        for i, chunk in enumerate(chunks):
            request = ExportTraceServiceRequest()
            resource_spans = request.resource_spans.add()
            resource_spans.resource.CopyFrom(resource)
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name, scope_spans.scope.version = scope["name"], scope["version"]
            scope_spans.spans.extend(chunk)
            ordered.append((i / len(chunks), request.SerializeToString(), len(chunk)))
    ordered.sort(key=lambda item: item[0])
    return [(body, count) for _, body, count in ordered]


# -- load generator (child processes) ---------------------------------------------------------


def load_worker(job: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Post this worker's exports over ``job["connections"]`` keep-alive connections."""
    bodies = payloads(job["worker"], job["traces"], job["first"], job["batch"], job["now_ns"])
    counters = ("acknowledged", "rejected", "failed", "retries")
    queues = (ready, go, results)
    loadgen.post_on_go(
        job, queues, bodies, post_export, content_type="application/x-protobuf", counters=counters
    )


def post_export(
    con: http.client.HTTPConnection, headers: dict[str, str], item: tuple[bytes, int]
) -> tuple[float, dict[str, int]]:
    """One export, retried after 429/503 as an exporter does: seconds and what it counts."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    body, count = item
    retries = 0
    for _attempt in range(20):
        started = time.perf_counter()
        con.request("POST", "/v1/traces", body, headers)
        response = con.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        if response.status in (429, 503):
            retries += 1
            time.sleep(float(response.getheader("Retry-After") or 1))
            continue
        break
    if response.status != 200:
        return elapsed, {"failed": 1, "retries": retries}
    rejected = ExportTraceServiceResponse.FromString(answer).partial_success.rejected_spans
    return elapsed, {"rejected": rejected, "acknowledged": count - rejected, "retries": retries}


# -- the run -----------------------------------------------------------------------------------


def jobs(args: argparse.Namespace, port: int, token: str, now_ns: int) -> list[dict[str, Any]]:
    per_worker = args.spans // SPANS_PER_TRACE // args.processes
    return [
        {"worker": w + 1, "traces": per_worker, "first": 0, "batch": args.batch, "port": port,
         "token": token, "connections": args.connections, "now_ns": now_ns}
        for w in range(args.processes)
    ]  # fmt: skip


def paired_calls(port: int, token: str) -> float:
    """Calls in the graph now (the root's "user" edges left out: they wait for the TTL)."""
    status, graph = request(port, "GET", "/api/v1/traces/graph?since=1h", token)
    if status != 200:
        raise SystemExit(f"GET /api/v1/traces/graph answered {status}: {graph}")
    return float(sum(e["requests"] for e in graph["edges"] if e["client"] != "user"))


def run_http(data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    server, port, admin = loadgen.serve(data_dir)
    now_ns = time.time_ns()
    try:
        token = sdk_token(port, admin)
        warm = payloads(0, 50, 0, args.batch, now_ns)  # worker 0: ids the load never sends
        warm_spans = sum(_post(port, token, body) for body, _ in warm)
        expected = PAIRED_PER_TRACE * 50 + 0.0
        _wait_paired(port, admin, expected, timeout=60)
        cpu_before = cpu_seconds(server.pid)
        result = drive(jobs(args, port, token, now_ns), args)
        acked_at = time.perf_counter()
        expected += PAIRED_PER_TRACE * result["traces"]
        paired = _wait_paired(port, admin, expected, timeout=args.timeout)
        result["seconds_until_paired"] = round(
            result["seconds"] + (time.perf_counter() - acked_at), 3
        )
        result["paired_calls"] = paired - PAIRED_PER_TRACE * 50
        result["expected_calls"] = PAIRED_PER_TRACE * result["traces"]
        result["spans_per_second_until_paired"] = round(
            result["acknowledged"] / result["seconds_until_paired"]
        )
        result["server_cpu_seconds"] = round(cpu_seconds(server.pid) - cpu_before, 2)
        result["server_cpu_us_per_span"] = round(
            1e6 * result["server_cpu_seconds"] / max(result["acknowledged"], 1), 2
        )
        status, pairing = request(port, "GET", "/api/v1/traces/pairing", admin)
        result["pairing"] = pairing if status == 200 else None
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=300)
    result["warmup_spans"] = warm_spans
    result["stored"] = stored_counts(data_dir)
    return result


def _post(port: int, token: str, body: bytes) -> int:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-protobuf"}
    con.request("POST", "/v1/traces", body, headers)
    response = con.getresponse()
    response.read()
    con.close()
    if response.status != 200:
        raise SystemExit(f"warm-up export answered {response.status}")
    request_ = ExportTraceServiceRequest.FromString(body)
    return sum(len(ss.spans) for rs in request_.resource_spans for ss in rs.scope_spans)


def _wait_paired(port: int, token: str, expected: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        try:
            seen = paired_calls(port, token)
        except OSError:  # a graph read slower than the client's timeout on a loaded machine
            continue
        if seen >= expected:
            break
        time.sleep(0.2)
    return seen


def drive(job_list: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    reports, seconds = loadgen.drive(load_worker, job_list, ready_timeout=1800)
    acknowledged = sum(r["acknowledged"] for r in reports)
    traces = sum(job["traces"] for job in job_list)
    return {
        "traces": traces,
        "sent": traces * SPANS_PER_TRACE,
        "acknowledged": acknowledged,
        "rejected": sum(r["rejected"] for r in reports),
        "failed_requests": sum(r["failed"] for r in reports),
        "retried_requests": sum(r["retries"] for r in reports),
        "seconds": round(seconds, 3),
        "spans_per_second_acknowledged": round(acknowledged / seconds),
        **loadgen.load_summary(reports),
    }


def stored_counts(data_dir: Path) -> dict[str, int]:
    """Read after the server stopped (DuckDB allows one writing process per file)."""
    from orgloop.traces.store import SpanStore

    store = SpanStore.in_data_dir(data_dir)
    try:
        return {"spans": store.count_spans()}
    finally:
        store.close()


def run_decode(job_list: list[dict[str, Any]]) -> dict[str, Any]:
    """The floor: ``ExportTraceServiceRequest.FromString`` alone over the same payloads."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    seconds = cpu = 0.0
    spans = 0
    for job in job_list:
        bodies = payloads(job["worker"], job["traces"], job["first"], job["batch"], job["now_ns"])
        started, cpu_started = time.perf_counter(), time.process_time()
        for body, _ in bodies:
            ExportTraceServiceRequest.FromString(body)
        seconds += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        spans += sum(count for _, count in bodies)
    return {
        "spans": spans,
        "spans_per_second": round(spans / seconds),
        "cpu_us_per_span": round(1e6 * cpu / spans, 3),
        "bytes_per_span": round(
            sum(len(b) for b, _ in payloads(1, 100, 0, 512, time.time_ns()))
            / (100 * SPANS_PER_TRACE)
        ),
    }


def table(report: dict[str, Any]) -> str:
    http, floor = report["http"], report["decode_only"]
    rows = [
        ("spans acknowledged (spans/s)", f"{http['spans_per_second_acknowledged']:,}"),
        ("... until paired and stored (spans/s)", f"{http['spans_per_second_until_paired']:,}"),
        ("protobuf decoding alone (spans/s)", f"{floor['spans_per_second']:,}"),
        ("until paired / decoding alone", f"{report['ratio_to_decoding']:.3f}"),
        ("acknowledged / stored / lost", f"{http['acknowledged']:,} / "
         f"{http['stored']['spans']:,} / {report['lost']:,}"),
        ("calls paired / expected", f"{http['paired_calls']:,.0f} / {http['expected_calls']:,}"),
        ("request p50 / p99 (ms)", f"{http['request_p50_ms']} / {http['request_p99_ms']}"),
        ("CPU s: server / load generator", f"{http['server_cpu_seconds']:.1f} / "
         f"{http['load_generator_cpu_seconds']:.1f} (wall {http['seconds_until_paired']:.1f})"),
        ("server CPU per span (us)", f"{http['server_cpu_us_per_span']:.2f}"),
        ("retried (429/503) / failed requests", f"{http['retried_requests']} / "
         f"{http['failed_requests']}"),
        ("load average before / after", f"{report['machine']['load_average']} / "
         f"{report['machine']['load_average_after']}"),
        ("target >= 50k spans/s, none lost", "met" if report["target_met"] else "NOT met"),
    ]  # fmt: skip
    return harness.two_columns(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.otlp_ingest", description=__doc__)
    parser.add_argument("--spans", type=int, default=1_000_000, help="Spans sent over HTTP.")
    parser.add_argument("--batch", type=int, default=512, help="Spans per request at most.")
    loadgen.add_load_arguments(parser)
    parser.add_argument("--timeout", type=float, default=300, help="Seconds to wait for pairing.")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where the JSON goes.")
    parser.add_argument("--quick", action="store_true", help="A 20,000-span smoke run.")
    args = parser.parse_args(argv)
    if args.quick:
        args.spans, args.processes, args.connections = 20_000, 2, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {"batch": args.batch, "processes": args.processes,
                              "connections_per_process": args.connections,
                              "spans_per_trace": SPANS_PER_TRACE, "machine": machine()}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="orgloop-otlp-") as tmp:
        http = run_http(Path(tmp) / "http", args)
    report["http"] = http
    report["decode_only"] = run_decode(jobs(args, 0, "", time.time_ns()))
    report["lost"] = int(http["acknowledged"] + http["warmup_spans"] - http["stored"]["spans"])
    report["ratio_to_decoding"] = round(
        http["spans_per_second_until_paired"] / report["decode_only"]["spans_per_second"], 3
    )
    report["target_met"] = (
        http["spans_per_second_until_paired"] >= 50_000
        and report["lost"] == 0
        and http["acknowledged"] == http["sent"]
        and http["paired_calls"] >= http["expected_calls"]
    )
    report["machine"]["load_average_after"] = harness.load_average()
    harness.write_result(args.output, report)
    print(table(report))
    return 0 if report["lost"] == 0 and http["failed_requests"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
