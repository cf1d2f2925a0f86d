"""``make demo`` works: a real server process, the shop imported over HTTP, a token printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_sets_up_the_shop_and_prints_url_and_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orgloop.demo",
            "--no-wait",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported the demo shop: 47 entities" in result.stdout
    assert "can-i-deploy orders 2.0.0 --to production: no" in result.stdout
    assert "checkout 3.1.0, team checkout: GET /orders/{id}: field 'total'" in result.stdout
    token = re.search(r"admin token: (olp_adm_\S+)", result.stdout)
    assert token is not None
    assert re.search(r"dashboard:\s+http://127\.0\.0\.1:\d+/\?token=olp_adm_", result.stdout)
    assert (tmp_path / "demo" / "orgloop.db").exists()
    assert not (tmp_path / "demo" / "server.log").read_text().count("Traceback")
