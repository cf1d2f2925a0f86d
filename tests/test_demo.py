"""``make demo`` works: a real server process, the shop imported over HTTP, experiments run on
simulated customers through the SDK and their true effects found, a token printed."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# The simulated customers' true effects on each experiment's primary metric.
TRUE_LIFTS = {
    "checkout-seconds": -0.28,
    "checkout-seconds-p90": -0.28,  # every checkout 28% faster: its 90th percentile too
    "spend": 0.15,
    "packing-mistakes": -0.18,
}
ROW = re.compile(
    r"^\s+(?P<metric>[a-z0-9-]+)\s+(?P<role>primary|secondary|guardrail)\s+treatment\s+(?P<lift>[-+][\d.]+)%"
    r"\s+\[(?P<low>[-+][\d.]+)%, (?P<high>[-+][\d.]+)%\]",
    re.MULTILINE,
)


@pytest.mark.slow
def test_demo_sets_up_the_shop_and_prints_url_and_token(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the preferred port is busy: the demo says so, picks another
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "orgloop.demo",
                "--no-wait",
                "--data-dir",
                str(tmp_path / "demo"),
                "--port",
                str(busy),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    port = re.search(rf"port {busy} is taken; using (\d+) instead", result.stdout)
    assert port is not None, result.stdout
    assert f"starting orgloop on http://127.0.0.1:{port[1]}" in result.stdout
    assert "imported the demo shop: 47 entities" in result.stdout
    assert "can-i-deploy orders 2.0.0 --to production: no" in result.stdout
    assert "checkout 3.1.0, team checkout: GET /orders/{id}: field 'total'" in result.stdout
    token = re.search(r"admin token: (olp_adm_\S+)", result.stdout)
    assert token is not None
    assert re.search(r"dashboard:\s+http://127\.0\.0\.1:\d+/\?token=olp_adm_", result.stdout)
    assert (tmp_path / "demo" / "orgloop.db").exists()
    assert not (tmp_path / "demo" / "server.log").read_text().count("Traceback")

    rows = {m["metric"]: m for m in ROW.finditer(result.stdout)}
    for metric, truth in TRUE_LIFTS.items():
        lift, low, high = (float(rows[metric][k]) / 100 for k in ("lift", "low", "high"))
        assert abs(lift - truth) < 0.05, (metric, lift)
        assert low <= truth <= high, (metric, low, high)
        assert high < 0 or low > 0, (metric, low, high)  # the interval excludes no effect
    assert result.stdout.count("recommendation: ship") == 3
    assert re.search(r"60000 exposures, \d+ events, 0 dropped", result.stdout)
    assert "decided one-page-checkout: ship" in result.stdout
    assert "learning log: 3 experiments, 1 decided" in result.stdout
    assert re.search(
        r"experiment:\s+http://127\.0\.0\.1:\d+/experiments/guided-packing", result.stdout
    )
