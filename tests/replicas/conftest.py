"""Two real ``orgloop serve`` replicas on one fresh PostgreSQL database.

The ``replicas`` fixture is how tests see orgloop run as several stateless replicas behind a load
balancer: separate processes, separate data directories, one metadata database.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, _postgres_reason

START_SECONDS = 240.0
"""A start takes a few seconds; on a machine loaded far beyond its cores, minutes."""
_TOKEN = re.compile(r"^(olp_adm_\S+)$", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One ``orgloop serve`` process; ``kill()`` is ``kill -9``, ``start()`` starts it again."""

    name: str
    port: int
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Everything the process printed (stdout and stderr), across its starts."""
        return self.data_dir.parent / f"{self.name}.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orgloop.main", "serve", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"replica {self.name} exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail(f"replica {self.name} did not answer within {timeout:.0f} s:\n{self.output()}")

    def kill(self) -> None:
        """``kill -9``: no shutdown handler runs, open connections just drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Replicas:
    """What the ``replicas`` fixture yields."""

    database_url: str
    admin_token: str
    a: Replica
    b: Replica
    first_start_tokens: list[str] = field(default_factory=list)
    """Admin tokens printed on first start, over both replicas (exactly one is expected)."""

    @property
    def urls(self) -> tuple[str, str]:
        return (self.a.url, self.b.url)

    def __iter__(self) -> Iterator[Replica]:
        return iter((self.a, self.b))

    def client(self, replica: Replica, token: str | None = None) -> httpx.Client:
        """An HTTP client of ``replica``'s API, as admin unless another token is given."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=f"{replica.url}/api/v1", headers=headers, timeout=10)


@contextmanager
def start_replicas(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Replicas]:
    """Start two replicas on a fresh PostgreSQL database under ``tmp_path`` (see ``replicas``);
    stop them and drop the database on leaving. For a module-scoped pair of a test module's own."""
    reason = _postgres_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here (ORGLOOP_REQUIRE_POSTGRES=1) but {reason}")
        pytest.skip(reason)
    name = f"orgloop_replicas_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ORGLOOP_")}
    started: list[Replica] = []
    try:
        for label in ("a", "b"):
            settings = {
                **base,
                "ORGLOOP_DATABASE_URL": url,
                "ORGLOOP_DATA_DIR": str(tmp_path / label),
                **(env or {}),
            }
            replica = Replica(
                name=label, port=_free_port(), data_dir=tmp_path / label, env=settings
            )
            replica.start()
            started.append(replica)
        for replica in started:
            replica.wait_ready()
        tokens = [t for r in started for t in _TOKEN.findall(r.output())]
        if not tokens:
            pytest.fail("neither replica printed an admin token on first start")
        yield Replicas(
            database_url=url,
            admin_token=tokens[0],
            a=started[0],
            b=started[1],
            first_start_tokens=tokens,
        )
    finally:
        for replica in started:
            replica.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def replica_env() -> dict[str, str]:
    """Settings (``ORGLOOP_*`` variables) both replicas start with; override it in a test module
    to add some. The fixture sets the database, the data directory and the port itself."""
    return {}


@pytest.fixture
def replicas(tmp_path: Path, replica_env: dict[str, str]) -> Iterator[Replicas]:
    """Two ``orgloop serve`` replicas, A and B, on one fresh PostgreSQL database.

    Both start at the same time on an empty database, each on its own free loopback port and with
    its own data directory (``tmp_path/a``, ``tmp_path/b``), with ``replica_env`` added to their
    environment. Yields ``Replicas``: ``.a`` and ``.b`` (each with ``.url``, ``.kill()`` for
    ``kill -9``, ``.start()`` + ``.wait_ready()`` to bring it back on the same port and data
    directory, ``.output()``, ``.data_dir``), ``.urls``, ``.admin_token`` (printed on first start
    by whichever replica created it; both accept it), ``.first_start_tokens``,
    ``.client(replica)`` (an httpx client of ``/api/v1`` as admin) and ``.database_url``. The
    database is dropped afterwards. Skips without PostgreSQL unless ``ORGLOOP_REQUIRE_POSTGRES=1``.

    Starting two servers is the slow part; a module whose tests can share one pair uses
    ``start_replicas`` in a module-scoped fixture of its own.
    """
    with start_replicas(tmp_path, replica_env) as pair:
        yield pair
