"""Smoke test of bench/ingest_http.py's parts that need no server: payloads, raw append, report."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from bench import ingest_http
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_generated_batches_are_valid_and_their_ids_unique() -> None:
    bodies = list(ingest_http.bodies(0, 3, 200, tag=1))
    batches = [parse_batch(body, now=NOW, limits=IngestLimits()) for body in bodies]
    assert all(batch.rejected == [] for batch in batches)
    ids = [i for b in batches for i in [*b.exposures.id, *b.tracks.id]]
    assert len(ids) == len(set(ids)) == 600
    assert {len(b.exposures.id) for b in batches} == {20}


def test_the_raw_append_stores_every_event(tmp_path: Path) -> None:
    args = argparse.Namespace(events=2_000, batch=500)
    result = ingest_http.run_raw(tmp_path, args, threads=2)
    assert result["events"] == 2_000
    assert result["append_events_per_second"] > 0


HTTP_RUN = {
    "events_per_second": 1000, "acknowledged": 10, "stored": {"distinct_ids": 10},
    "server_cpu_seconds": 1.0, "load_generator_cpu_seconds": 0.1, "seconds": 1.0,
    "server_cpu_us_per_event": 5.0, "stored_events_per_second": 900,
    "server_cpu_us_per_event_until_stored": 5.5, "warmup_events": 0,
}  # fmt: skip
"""One HTTP run's figures, as the report table reads them."""


def test_the_report_table_names_the_target_and_losses() -> None:
    http = dict(HTTP_RUN)
    raw = {"threads": 2, "append_events_per_second": 2000, "parse_events_per_second": 9000}
    report = {
        "http": http, "raw_append": raw, "raw_append_1_thread": raw, "lost": 0,
        "ratio_http_to_raw_append": 0.5, "target_met": False,
        "machine": {"load_average": [1.0], "load_average_after": [1.0]},
    }  # fmt: skip
    text = ingest_http.table(report)
    assert "NOT met" in text
    assert "10 / 10 / 0" in text
    assert "until stored in the tables (events/s)  900" in text


def test_the_report_table_gives_both_ratios_and_the_ratio_target() -> None:
    http = dict(HTTP_RUN)
    raw8 = {"threads": 8, "append_events_per_second": 1500, "parse_events_per_second": 9000}
    raw1 = {"threads": 1, "append_events_per_second": 1200, "parse_events_per_second": 9000}
    report = {
        "http": http, "raw_append": raw8, "raw_append_1_thread": raw1, "lost": 0,
        "ratio_http_to_raw_append": 0.667, "ratio_stored_to_raw_append": 0.6,
        "ratio_stored_to_raw_append_1_thread": 0.75, "ratio_target_met": True,
        "ratio_target_met_against_threads": False, "target_met": False,
        "machine": {"load_average": [1.0], "load_average_after": [1.0]},
    }  # fmt: skip
    text = ingest_http.table(report)
    assert "HTTP / raw append, 8 threads" in text
    assert "0.67 (until stored 0.60)" in text
    assert "until stored / raw append, 1 thread" in text
    assert "0.75" in text
    verdicts = {line[:41].strip(): line[41:].strip() for line in text.splitlines()}
    assert verdicts["target stored / raw, 1 thread >= 0.6"] == "met"
    assert verdicts["stricter: stored / raw, 8 threads >= 0.6"] == "NOT met"
    assert text.count("NOT met") == 2  # the 200k target and the stricter ratio


def test_each_http_run_is_compared_with_the_raw_append_that_followed_it() -> None:
    # The machine's speed drifts: a run on a slow moment is judged against a raw append on
    # that same slow moment, not against the fastest raw append of the whole benchmark.
    slow = ingest_http.paired(
        HTTP_RUN | {"stored_events_per_second": 600}, {"append_events_per_second": 1000}
    )
    fast = ingest_http.paired(
        HTTP_RUN | {"stored_events_per_second": 1400}, {"append_events_per_second": 2000}
    )
    assert slow["ratio_stored_to_raw_append_1_thread"] == 0.6
    assert fast["ratio_stored_to_raw_append_1_thread"] == 0.7
    assert (slow["raw_append_1_thread"], slow["lost"]) == (1000, 0)
    runs = [{"rate": 3}, {"rate": 1}, {"rate": 2}, {"rate": 4}]
    assert ingest_http._median(runs, "rate") == {"rate": 2}  # the lower middle one
    report = {
        "http": dict(HTTP_RUN), "http_runs": [slow, fast], "lost": 0, "target_met": False,
        "raw_append": {"threads": 8, "append_events_per_second": 3000, "parse_events_per_second": 9000},
        "raw_append_1_thread": {"threads": 1, "append_events_per_second": 1000},
        "ratio_http_to_raw_append": 0.3, "ratio_stored_to_raw_append_1_thread": 0.65,
        "machine": {"load_average": [1.0], "load_average_after": [1.0]},
    }  # fmt: skip
    rows = {line[:41].strip(): line[41:].strip() for line in ingest_http.table(report).splitlines()}
    assert (
        rows["until stored / raw append, 1 thread"]
        == "0.65 (median of the runs' pairs: 0.60, 0.70)"
    )
    assert rows["their raw append, 1 thread (events/s)"] == "1,000, 2,000"
