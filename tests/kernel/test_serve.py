"""``orgloop serve`` and ``orgloop db upgrade`` as a user runs them: real processes, real files."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
import sqlalchemy as sa
from tests.cli import run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_once(data_dir: Path) -> str:
    """Start the server, wait until it answers, stop it; return what it printed."""
    port = _free_port()
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir), "ORGLOOP_PORT": str(port)}
    env.pop("ORGLOOP_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "orgloop.main", "serve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("orgloop serve did not answer within 60 s")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    return output


@pytest.mark.slow
def test_first_start_prints_an_admin_token_once_and_it_works(tmp_path: Path) -> None:
    first = _serve_once(tmp_path)
    token = re.search(r"^(olp_adm_\S+)$", first, flags=re.MULTILINE)
    assert token is not None, first
    second = _serve_once(tmp_path)
    assert "olp_adm_" not in second
    assert "First start" not in second
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'orgloop.db'}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM tokens")).scalars().all()
    engine.dispose()
    assert len(stored) == 1
    assert token.group(1) not in stored[0]


def test_db_upgrade_creates_every_slices_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ORGLOOP_DATABASE_URL", raising=False)
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert "up to date" in result.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'orgloop.db'}")
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"tokens", "audit_log", "catalog_entities", "catalog_relations"} <= tables
    assert run("db", "upgrade").exit_code == 0  # idempotent


def _start(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str, Path]:
    """``orgloop serve`` on a fresh data directory, once it answers: (process, base URL, admin
    token, its log file)."""
    port = _free_port()
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir), "ORGLOOP_PORT": str(port)}
    env.pop("ORGLOOP_DATABASE_URL", None)
    log = data_dir / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "orgloop.main", "serve"], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    found = None
    while found is None and time.monotonic() < deadline:
        found = re.search(r"^(olp_adm_\S+)$", log.read_text(), flags=re.MULTILINE)
        time.sleep(0 if found else 0.2)
    assert found is not None, log.read_text()
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health").status_code == 200:
                return process, base, found.group(1), log
        except httpx.TransportError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def _sdk_key(base: str, admin: str) -> str:
    created = httpx.post(
        f"{base}/api/v1/tokens",
        json={"role": "sdk", "environment": "production"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["secret"])


@pytest.mark.slow
def test_sigterm_stops_the_server_even_with_an_sdk_stream_open(tmp_path: Path) -> None:
    """A held-open SDK stream must not keep ``orgloop serve`` alive after SIGTERM."""
    process, base, admin, _ = _start(tmp_path)
    try:
        sdk = _sdk_key(base, admin)
        with httpx.stream(
            "GET", f"{base}/api/v1/sdk/stream", headers={"Authorization": f"Bearer {sdk}"},
            timeout=httpx.Timeout(30.0),
        ) as stream:  # fmt: skip
            assert stream.status_code == 200
            next(stream.iter_lines())  # the stream is open and has spoken
            started = time.monotonic()
            process.terminate()
            process.wait(timeout=30)
            assert time.monotonic() - started < 15
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_sigterm_loads_the_ingest_log_into_the_tables_before_the_server_exits(
    tmp_path: Path,
) -> None:
    """A clean stop leaves every acknowledged event in the DuckDB tables (nothing left for the
    next start to recover) and still exits with SIGTERM's status."""
    process, base, admin, log = _start(tmp_path)
    try:
        sdk = _sdk_key(base, admin)
        events = [
            {"id": f"e-{i}", "type": "track", "unit": f"u-{i % 7}", "event": "visit",
             "timestamp": "2026-01-01T00:00:00Z"}
            for i in range(500)
        ]  # fmt: skip
        answer = httpx.post(
            f"{base}/api/v1/events",
            json={"events": events},
            headers={"Authorization": f"Bearer {sdk}"},
        )
        assert answer.json()["accepted"] == 500, answer.text
        process.terminate()
        assert process.wait(timeout=60) == -signal.SIGTERM, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not list((tmp_path / "events-log").glob("*.ndjson")), "the log was not loaded"
    con = duckdb.connect(str(tmp_path / "events.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM events").fetchall() == [(500,)]
    finally:
        con.close()
