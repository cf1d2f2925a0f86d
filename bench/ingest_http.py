"""Event ingest over HTTP in batches of 1,000, end to end, next to the store's raw append rate.

Starts a real ``orgloop serve`` on a temporary data directory (admin token bootstrapped as the
demo does, then an SDK key made through the API), and load-generator processes that post
pre-serialised batches of unique events over keep-alive connections.  Reports acknowledged events
per second (acknowledged = durable in the ingest log), then stops the server, which loads what
the log still holds into the DuckDB tables, and reports the rate until stored (that stop
included; the target is judged on it).  Then it checks that the store holds exactly the
acknowledged events, each once.  In the same run it measures ``parse_batch`` alone and ``EventStore.append`` in
process on the same batches, and reports HTTP / raw append as a ratio.  The load generator
shares the machine's cores with the server; the CPU seconds of both are reported.

The HTTP part runs ``--repeat`` times (3), each on a fresh server, and the median run is
reported with every run's rate beside it: on a shared 2-core machine single runs vary by
+-25%.  Each HTTP run is followed at once by a raw append on one thread, and the ratio is taken
within each such pair (the median pair's is reported): the machine's speed drifts by as much
within a few minutes, and a ratio of two rates measured minutes apart measures the drift too.

    .venv/bin/python -m bench.ingest_http [--events 2000000] [--processes 4] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from bench import harness, loadgen
from bench.loadgen import cpu_seconds, sdk_token

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "ingest_http.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RATIO_TARGET = 0.6


def batch_body(start: int, size: int, tag: int) -> bytes:
    """Events ``start .. start+size`` of one generator: 1 in 10 an exposure, 1 in 4 with properties."""
    events: list[dict[str, Any]] = []
    for i in range(start, start + size):
        event: dict[str, Any] = {
            "id": f"{tag:08x}-0000-4000-8000-{i:012x}",
            "unit": f"user-{i % 50_000}",
            "timestamp": f"2025-12-31T{i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d}Z",
        }
        if i % 10 == 0:
            event |= {"type": "exposure", "experiment": "checkout-redesign", "variant": "b"}
        else:
            event |= {"type": "track", "event": "purchase", "value": float(i % 100)}
        if i % 4 == 0:
            event["properties"] = {"currency": "EUR", "plan": "pro"}
        events.append(event)
    return msgspec.json.encode({"events": events})


def bodies(first: int, count: int, size: int, tag: int) -> Iterator[bytes]:
    for n in range(first, first + count):
        yield batch_body(n * size, size, tag)


# -- load generator (runs in child processes) -------------------------------------------------


def load_worker(job: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Post this worker's batches over ``job["connections"]`` keep-alive connections."""
    payloads = list(bodies(job["first"], job["batches"], job["size"], job["tag"]))
    counters = ("accepted", "duplicates", "failed")
    queues = (ready, go, results)
    loadgen.post_on_go(
        job, queues, payloads, post_batch, content_type="application/json", counters=counters
    )


def post_batch(
    con: http.client.HTTPConnection, headers: dict[str, str], body: bytes
) -> tuple[float, dict[str, int]]:
    """One batch: the seconds its request took and what the answer counts."""
    started = time.perf_counter()
    con.request("POST", "/api/v1/events", body, headers)
    response = con.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        return elapsed, {"failed": 1}
    result = json.loads(answer)
    return elapsed, {"accepted": result["accepted"], "duplicates": result["duplicates"]}


# -- the HTTP run ------------------------------------------------------------------------------


def run_http(data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    server, port, admin = loadgen.serve(data_dir)
    try:
        token = sdk_token(port, admin)
        warmup = warm_up(port, token, args.batch)
        cpu_before = cpu_seconds(server.pid)
        result = drive(port, token, args)
        result["server_cpu_seconds"] = round(cpu_seconds(server.pid) - cpu_before, 2)
        result["server_cpu_us_per_event"] = round(
            1e6 * result["server_cpu_seconds"] / max(result["acknowledged"], 1), 2
        )
        cpu_before_stop = cpu_seconds(server.pid)
    finally:
        # A clean stop loads what is still in the ingest log into the tables: the time and CPU
        # it takes belong to the ingest, so they count towards the "stored" rate.
        stopping = time.perf_counter()
        server.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(server.pid, 0)
        server.returncode = os.waitstatus_to_exitcode(status)
    stop_seconds = time.perf_counter() - stopping
    stop_cpu = usage.ru_utime + usage.ru_stime - cpu_before_stop
    result["stop_seconds"] = round(stop_seconds, 3)
    result["stored_events_per_second"] = round(
        result["acknowledged"] / (result["seconds"] + stop_seconds)
    )
    result["server_cpu_us_per_event_until_stored"] = round(
        1e6 * (result["server_cpu_seconds"] + stop_cpu) / max(result["acknowledged"], 1), 2
    )
    result["warmup_events"] = warmup
    result["stored"] = stored_counts(data_dir)
    return result


def warm_up(port: int, token: str, size: int) -> int:
    """A few untimed batches first (imports and caches), of ids the load never sends."""
    acknowledged = 0
    for body in bodies(0, 5, size, tag=0):
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        con.request("POST", "/api/v1/events", body, headers)
        response = con.getresponse()
        acknowledged += json.loads(response.read())["accepted"]
        con.close()
    return acknowledged


def drive(port: int, token: str, args: argparse.Namespace) -> dict[str, Any]:
    per_worker = args.events // args.batch // args.processes
    jobs = [
        {"worker": w, "first": w * per_worker, "batches": per_worker, "size": args.batch,
         "tag": 1, "port": port, "token": token, "connections": args.connections}
        for w in range(args.processes)
    ]  # fmt: skip
    reports, seconds = loadgen.drive(load_worker, jobs, ready_timeout=600)
    accepted = sum(r["accepted"] for r in reports)
    return {
        "sent": per_worker * args.processes * args.batch,
        "acknowledged": accepted,
        "duplicates": sum(r["duplicates"] for r in reports),
        "failed_requests": sum(r["failed"] for r in reports),
        "seconds": round(seconds, 3),
        "events_per_second": round(accepted / seconds),
        **loadgen.load_summary(reports),
    }


def stored_counts(data_dir: Path) -> dict[str, int]:
    """Read after the server stopped: DuckDB allows one writing process per file."""
    from orgloop.experiments.ingest.store import EventStore

    store = EventStore.in_data_dir(data_dir)
    con = store.cursor()
    row = con.execute(
        "SELECT (SELECT count(*) FROM exposures) + (SELECT count(*) FROM events),"
        " (SELECT count(DISTINCT id) FROM exposures) + (SELECT count(DISTINCT id) FROM events)"
    ).fetchone()
    con.close()
    store.close()
    assert row is not None
    return {"rows": int(row[0]), "distinct_ids": int(row[1])}


# -- the store in process ----------------------------------------------------------------------


def run_raw(data_dir: Path, args: argparse.Namespace, threads: int) -> dict[str, Any]:
    """``parse_batch`` and ``EventStore.append`` timed apart, on the same kind of batches."""
    from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
    from orgloop.experiments.ingest.store import EventStore

    store = EventStore.in_data_dir(data_dir)
    limits, total = IngestLimits(), args.events // args.batch
    parse_seconds = append_seconds = append_cpu = 0.0
    accepted = 0
    chunk = 100
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for first in range(0, total, chunk):
            payloads = list(bodies(first, min(chunk, total - first), args.batch, tag=2))
            started = time.perf_counter()
            batches = [parse_batch(body, now=NOW, limits=limits, guard=True) for body in payloads]
            parse_seconds += time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            appended = pool.map(lambda b: store.append(b, received_at=NOW), batches)
            accepted += sum(r.accepted for r in appended)
            append_seconds += time.perf_counter() - started
            append_cpu += time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    store.flush()  # until the last acknowledged event is in the tables
    append_seconds += time.perf_counter() - started
    append_cpu += time.process_time() - cpu
    store.close()
    return {
        "threads": threads,
        "events": accepted,
        "append_events_per_second": round(accepted / append_seconds),
        "parse_events_per_second": round(accepted / parse_seconds),
        "append_cpu_us_per_event": round(1e6 * append_cpu / accepted, 2),
    }


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "uvicorn_extras": {name: _installed(name) for name in ("uvloop", "httptools")},
        "versions": harness.versions(("uvicorn", "msgspec", "uvloop", "httptools")),
    }


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def table(report: dict[str, Any]) -> str:
    http, raw1, rawn = report["http"], report["raw_append_1_thread"], report["raw_append"]
    ratios = f"{report['ratio_http_to_raw_append']:.2f}"  # acknowledged; then until stored
    if "ratio_stored_to_raw_append" in report:
        ratios += f" (until stored {report['ratio_stored_to_raw_append']:.2f})"
    rows = [
        ("HTTP end to end, acknowledged (events/s)", f"{http['events_per_second']:,}"),
        ("... until stored in the tables (events/s)", f"{http['stored_events_per_second']:,}"),
        (f"raw append, {rawn['threads']} threads (events/s)", f"{rawn['append_events_per_second']:,}"),
        ("raw append, 1 thread (events/s, median)", f"{raw1['append_events_per_second']:,}"),
        ("decode+validate alone (events/s)", f"{rawn['parse_events_per_second']:,}"),
        (f"HTTP / raw append, {rawn['threads']} threads", ratios),
        ("until stored / raw append, 1 thread", _ratio(report.get("ratio_stored_to_raw_append_1_thread"))
         + _pairs(report.get("http_runs", []))),
        ("acknowledged / stored / lost", f"{http['acknowledged']:,} / "
         f"{http['stored']['distinct_ids']:,} / {report['lost']:,}"),
        ("CPU s: server / load generator", f"{http['server_cpu_seconds']:.1f} / "
         f"{http['load_generator_cpu_seconds']:.1f} (wall {http['seconds']:.1f})"),
        ("server CPU per event (us), until stored", f"{http['server_cpu_us_per_event']:.2f}, "
         f"{http['server_cpu_us_per_event_until_stored']:.2f}"),
        ("runs (until stored, events/s)", ", ".join(
            f"{r['stored_events_per_second']:,}" for r in report.get("http_runs", []))
         + " (median above)"),
        ("their raw append, 1 thread (events/s)", ", ".join(
            f"{r['raw_append_1_thread']:,}" for r in report.get("http_runs", [])) or "-"),
        ("load average before / after", f"{report['machine']['load_average']} / "
         f"{report['machine']['load_average_after']}"),
        ("target >= 200k events/s, none lost", "met" if report["target_met"] else "NOT met"),
        (f"target stored / raw, 1 thread >= {RATIO_TARGET}",
         "met" if report.get("ratio_target_met") else "NOT met"),
        (f"stricter: stored / raw, {rawn['threads']} threads >= {RATIO_TARGET}",
         "met" if report.get("ratio_target_met_against_threads") else "NOT met"),
    ]  # fmt: skip
    return harness.two_columns(rows)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pairs(runs: list[dict[str, Any]]) -> str:
    ratios = [r["ratio_stored_to_raw_append_1_thread"] for r in runs]
    if len(ratios) < 2:
        return ""
    return " (median of the runs' pairs: " + ", ".join(f"{x:.2f}" for x in ratios) + ")"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.ingest_http", description=__doc__)
    parser.add_argument("--events", type=int, default=2_000_000, help="Events sent over HTTP.")
    parser.add_argument("--batch", type=int, default=1000, help="Events per request.")
    loadgen.add_load_arguments(parser)
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where the JSON goes.")
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="HTTP runs, each on a fresh server; the median (by rate until stored) is reported.",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="A 20,000-event smoke run.")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.processes, args.connections, args.repeat = 20_000, 2, 1, 1
    return args


def _lost(http: dict[str, Any]) -> int:
    """Acknowledged events (warm-up included) that the store does not hold."""
    return int(http["acknowledged"] + http["warmup_events"] - http["stored"]["distinct_ids"])


def paired(run: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """One HTTP run's figures, with the raw append on one thread that followed it and their ratio."""
    keys = ("events_per_second", "stored_events_per_second", "server_cpu_us_per_event_until_stored")
    rate = raw["append_events_per_second"]
    return {key: run[key] for key in keys} | {
        "lost": _lost(run),
        "raw_append_1_thread": rate,
        "ratio_stored_to_raw_append_1_thread": round(run["stored_events_per_second"] / rate, 3),
    }


def _median(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The median run by ``key`` (the lower of the two middle ones for an even count)."""
    return sorted(runs, key=lambda r: float(r[key]))[(len(runs) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {"batch": args.batch, "processes": args.processes,
                              "connections_per_process": args.connections, "machine": machine()}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="orgloop-ingest-") as tmp:
        runs, raws = [], []
        for i in range(max(1, args.repeat)):
            runs.append(run_http(Path(tmp) / f"http-{i}", args))
            raws.append(run_raw(Path(tmp) / f"raw1-{i}", args, 1))  # its pair, right after it
            for used in (f"http-{i}", f"raw1-{i}"):
                shutil.rmtree(Path(tmp) / used)
        threads = args.processes * args.connections
        report["raw_append"] = run_raw(Path(tmp) / "raw", args, threads)
    report["http_runs"] = [paired(r, raw) for r, raw in zip(runs, raws, strict=True)]
    report["http"] = _median(runs, "stored_events_per_second")
    report["raw_append_1_thread"] = _median(raws, "append_events_per_second")
    http = report["http"]
    report["lost"] = sum(_lost(r) for r in runs)
    report["ratio_http_to_raw_append"] = round(
        http["events_per_second"] / report["raw_append"]["append_events_per_second"], 3
    )
    # Until stored, against the raw append with one thread: the median of the pairs' ratios
    # (absolute rates move with the machine's load, a ratio within a pair much less); against
    # the raw append with as many threads as the HTTP run has connections, measured once.
    report["ratio_stored_to_raw_append_1_thread"] = round(
        statistics.median(r["ratio_stored_to_raw_append_1_thread"] for r in report["http_runs"]), 3
    )
    report["ratio_stored_to_raw_append"] = round(
        http["stored_events_per_second"] / report["raw_append"]["append_events_per_second"], 3
    )
    # Issue 17's target, as the issue measured it: the rate until stored against the store's
    # raw append on one thread (its 298k/s), at 0.6 or more, nothing lost.  The stricter
    # comparison, against the raw append with as many threads as the HTTP run has connections,
    # is reported beside it.
    report["ratio_target_met"] = (
        report["ratio_stored_to_raw_append_1_thread"] >= RATIO_TARGET and report["lost"] == 0
    )
    report["ratio_target_met_against_threads"] = (
        report["ratio_stored_to_raw_append"] >= RATIO_TARGET and report["lost"] == 0
    )
    report["target_met"] = (
        http["stored_events_per_second"] >= 200_000
        and report["lost"] == 0
        and http["acknowledged"] == http["sent"]
        and http["stored"]["rows"] == http["stored"]["distinct_ids"]
    )
    report["machine"]["load_average_after"] = harness.load_average()
    harness.write_result(args.output, report)
    print(table(report))
    return 0 if report["lost"] == 0 and http["failed_requests"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
