"""The benchmark harness reports a contender's own peak memory, whatever the benchmark holds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import harness

MB = 1 << 20
CHILD_MB, PARENT_MB = 200, 500
# A child that touches CHILD_MB (a filled bytes object, not a lazily zeroed one) and stops.
ALLOCATE = f"import time; data = b'x' * ({CHILD_MB} * {MB}); time.sleep(0.1)"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads Linux rusage semantics")


@pytest.fixture(scope="module")
def ballast() -> bytes:
    """The benchmark process holding PARENT_MB of touched memory, as when it made the data."""
    return b"y" * (PARENT_MB * MB)


def test_a_child_reports_what_it_allocated_not_what_the_parent_holds(ballast: bytes) -> None:
    result = harness.run([sys.executable, "-c", ALLOCATE])
    assert result["exit_code"] == 0
    # The interpreter adds ~10 MB to the 200 MB; 15 % either side.
    assert CHILD_MB * 0.85 <= result["peak_rss_mb"] <= CHILD_MB * 1.15, result
    assert result["cpu_seconds"] > 0


def test_an_idle_child_reports_a_small_floor(ballast: bytes) -> None:
    result = harness.run([sys.executable, "-c", "pass"])
    assert result["peak_rss_mb"] < 40, result


def test_waiting_on_the_child_directly_would_report_the_parent(ballast: bytes) -> None:
    """Why the launcher exists: ``wait4`` on our own child counts our high-water mark."""
    child = subprocess.Popen([sys.executable, "-c", ALLOCATE])
    _, _, usage = os.wait4(child.pid, 0)
    assert usage.ru_maxrss / 1024 >= PARENT_MB


def test_a_timeout_and_a_memory_cap_stop_the_command() -> None:
    slow = harness.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert slow["timed_out"]
    assert slow["exit_code"] != 0
    assert slow["seconds"] < 10
    grow = "import time\ndata = []\nwhile True:\n    data.append(b'x' * (16 << 20))\n"
    capped = harness.run([sys.executable, "-c", grow], memory_cap_mb=150, timeout=30)
    assert capped["capped"]
    assert not capped["timed_out"]
    assert capped["peak_rss_mb"] < 400


def test_results_record_load_and_every_contender_version() -> None:
    machine = harness.machine(harness.load_average())
    assert len(machine["load_average_before"]) == len(machine["load_average_after"]) == 3
    assert set(machine["versions"]) >= {"python", "duckdb", "pandas", "ibis-framework", "numpy"}
    assert machine["versions"]["duckdb"]
