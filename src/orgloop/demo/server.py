"""Start and stop the demo's ``orgloop serve`` process on a fresh data directory.

Every process the demo starts dies with it, even when the demo itself is killed (SIGKILL, no
clean-up): on Linux each child asks the kernel for SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, set between fork and exec by ``die_with_parent``). Python's standard
library has no wrapper for it and a one-call ctypes hook needs no dependency (the PyPI packages
that wrap prctl are unmaintained); elsewhere the demo's Ctrl-C and SIGTERM clean-up still applies.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Return once ``url`` answers 200; exit with a pointer to ``log`` if it never does."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited early; see {log}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{url} did not answer within 60 s; see {log}")


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def skip_sniffio() -> None:
    """Have httpcore's asynchronous requests take asyncio without searching for sniffio.

    httpcore asks sniffio which event loop runs, on every request and response. sniffio is not
    installed (nothing here runs on trio) and Python searches the disk again for a module that
    failed to import, each time: about a tenth of a busy service's CPU. A failed import recorded
    as ``None`` fails at once, and httpcore falls back to asyncio as it would anyway.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORGLOOP_DATA_DIR": str(data_dir), "ORGLOOP_PORT": str(port)}
    env.pop("ORGLOOP_DATABASE_URL", None)
    log = data_dir / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "orgloop.main", "serve"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent(),  # gone when the demo is, even killed
    )
    wait_healthy(process, f"http://127.0.0.1:{port}/api/v1/health", log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
