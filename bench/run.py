"""Run every benchmark in turn (``make bench``); each writes bench/results/<name>.json.

Usage: python -m bench.run [--quick] [NAME ...]
"""

from __future__ import annotations

import argparse
import importlib
import time

BENCHMARKS = (
    "flags_sdk",
    "can_i_deploy",
    "catalog_write",
    "openapi_diff",
    "ingest_http",
    "otlp_ingest",
    "analysis",
    "insights",
    "insights_delivery",
    "replicas",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help="Which benchmarks.")
    parser.add_argument("--quick", action="store_true", help="Small sizes: a smoke run.")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        result = module.main(["--quick"] if args.quick else [])
        # A benchmark returns its exit code, or its report (a dict) when it has no verdict.
        code = result if isinstance(result, int) else 0
        print(f"--- {name}: exit {code} in {time.perf_counter() - started:.1f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nmissed target or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
