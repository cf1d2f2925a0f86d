"""What every benchmark records the same way: a contender's own peak memory, load, versions.

Peak memory.  On Linux a process's ``ru_maxrss`` starts from the high-water mark of the process
that ran ``exec``: ``os.wait4`` on a child of a big parent reports at least the parent's own
resident size.  So a contender is never started by the benchmark itself but by a small launcher
(``python -m bench.harness``, standard library only, ~10 MB): the launcher starts the command,
waits for it with ``wait4`` and writes the command's peak RSS, CPU seconds, wall seconds and how
it ended to a file.  The floor is the launcher's own size, below any Python interpreter's.
``tests/bench/test_harness.py`` checks that a child allocating 200 MB reports about 200 MB while
the benchmark process holds 500 MB.

Timeouts and memory caps are enforced by the launcher too (the command runs in its own session,
killed as a group).  Load averages and package versions go into every result's ``machine``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Every package a contender of some benchmark runs on; absent ones are recorded as None.
PACKAGES = ("duckdb", "pandas", "ibis-framework", "numpy", "pyarrow")
_POLL_SECONDS = 0.02


def run(
    command: Sequence[str],
    *,
    timeout: float | None = None,
    memory_cap_mb: float | None = None,
    cwd: Path | None = None,
    capture: bool = True,
) -> dict[str, Any]:
    """Run ``command`` through the launcher: its exit code, wall and CPU seconds, its own peak
    RSS in MB, whether it timed out or hit the cap, and (``capture``) its stdout and stderr."""
    with tempfile.TemporaryDirectory(prefix="bench-harness-") as tmp:
        report = Path(tmp) / "report.json"
        launcher = [sys.executable, "-m", "bench.harness", "--report", str(report)]
        if timeout is not None:
            launcher += ["--timeout", str(timeout)]
        if memory_cap_mb is not None:
            launcher += ["--memory-cap-mb", str(memory_cap_mb)]
        pipe = subprocess.PIPE if capture else None
        done = subprocess.run(
            [*launcher, "--", *command], stdout=pipe, stderr=pipe, cwd=cwd or ROOT, check=False
        )
        if not report.exists():
            raise RuntimeError(f"launcher failed ({done.returncode}): {done.stderr!r}")
        result: dict[str, Any] = json.loads(report.read_text())
    if capture:
        result["stdout"] = done.stdout.decode(errors="replace")
        result["stderr"] = done.stderr.decode(errors="replace")
    return result


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def versions(extra: Sequence[str] = ()) -> dict[str, str | None]:
    """Python's and every contender package's version (None: not installed)."""
    from importlib import metadata  # not at import: the launcher process stays small

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in (*PACKAGES, *extra):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def machine(load_before: Sequence[float], extra: Sequence[str] = ()) -> dict[str, Any]:
    """The ``machine`` block of a result: cores, platform, versions, load before and now."""
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(extra),
        "load_average_before": list(load_before),
        "load_average_after": load_average(),
    }


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Write a benchmark's result as indented JSON to ``path``, its folder made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


def two_columns(rows: Sequence[tuple[str, str]]) -> str:
    """A printed table: each row's name padded to the longest, two spaces, then its value."""
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


# -- the launcher (runs in its own small process) ------------------------------------------------


def _launch(
    command: list[str], *, timeout: float | None, memory_cap_mb: float | None
) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen(command, start_new_session=True)
    timed_out = capped = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            break
        elapsed = time.perf_counter() - started
        timed_out = timeout is not None and elapsed > timeout
        capped = memory_cap_mb is not None and _rss_mb(process.pid) > memory_cap_mb
        if timed_out or capped:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(_POLL_SECONDS)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit_code": process.returncode,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "timed_out": timed_out,
        "capped": capped,
    }


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness", description=__doc__)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--memory-cap-mb", type=float)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    result = _launch(command, timeout=args.timeout, memory_cap_mb=args.memory_cap_mb)
    args.report.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
