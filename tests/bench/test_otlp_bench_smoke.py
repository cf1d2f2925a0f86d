"""Smoke test of bench/otlp_ingest.py's parts that need no server: payloads, the floor, report."""

from __future__ import annotations

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench import otlp_ingest


def test_payloads_are_batches_of_one_service_with_realistic_spans() -> None:
    bodies = otlp_ingest.payloads(1, 200, 0, 512, time.time_ns())
    requests = [ExportTraceServiceRequest.FromString(body) for body, _ in bodies]
    spans = [
        s for r in requests for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans
    ]
    assert len(spans) == 200 * otlp_ingest.SPANS_PER_TRACE == sum(n for _, n in bodies)
    assert all(len(r.resource_spans) == 1 for r in requests)  # one service per export
    assert max(len(ss.spans) for r in requests for ss in r.resource_spans[0].scope_spans) == 512
    assert all(10 <= len(s.attributes) <= 20 for s in spans)
    assert len({(s.trace_id, s.span_id) for s in spans}) == len(spans)
    by_id = {s.span_id: s for s in spans}
    parents = [by_id[s.parent_span_id] for s in spans if s.parent_span_id]
    assert len(parents) == 200 * (otlp_ingest.SPANS_PER_TRACE - 1)  # every parent is sent


def test_the_decoding_floor_counts_every_span() -> None:
    jobs = [{"worker": 1, "traces": 50, "first": 0, "batch": 512, "now_ns": time.time_ns()}]
    floor = otlp_ingest.run_decode(jobs)
    assert floor["spans"] == 50 * otlp_ingest.SPANS_PER_TRACE
    assert floor["spans_per_second"] > 0


def test_the_report_table_names_the_target_and_losses() -> None:
    http = {
        "spans_per_second_acknowledged": 60_000, "spans_per_second_until_paired": 40_000,
        "acknowledged": 11, "stored": {"spans": 11}, "paired_calls": 6.0,
        "expected_calls": 6, "request_p50_ms": 1.0, "request_p99_ms": 2.0,
        "server_cpu_seconds": 1.0, "load_generator_cpu_seconds": 0.1,
        "seconds_until_paired": 1.0, "server_cpu_us_per_span": 9.0, "retried_requests": 0,
        "failed_requests": 0,
    }  # fmt: skip
    report = {
        "http": http, "decode_only": {"spans_per_second": 400_000}, "ratio_to_decoding": 0.1,
        "lost": 0, "target_met": False,
        "machine": {"load_average": [1.0], "load_average_after": [1.0]},
    }  # fmt: skip
    text = otlp_ingest.table(report)
    assert "NOT met" in text
    assert "11 / 11 / 0" in text
    assert "until paired and stored (spans/s)  40,000" in text
