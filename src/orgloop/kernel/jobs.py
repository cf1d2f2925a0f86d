"""Periodic jobs that run once per period however many replicas there are.

Every replica keeps a timer for each job; at each tick it tries PostgreSQL's advisory lock of the
job (without waiting) and, holding it, runs the job only if the ``jobs`` row says it is due. The
run moves ``due_at`` one interval on. The lock lives on the runner's own connection: a replica
that dies mid-run drops the connection, and with it the lock, while ``due_at`` is still past, so
the next replica to tick runs the job again. On SQLite (one process) the lock is not needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Base, Database, lock_key
from orgloop.kernel.models import JobStatus

log = logging.getLogger(__name__)


class _JobRow(Base):
    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_replica: Mapped[str | None] = mapped_column(sa.String(100))


class Jobs:
    """This replica's timers; ``every`` adds one, ``close`` stops them all."""

    def __init__(self, *, db: Database, clock: Clock, replica: str) -> None:
        self._db = db
        self._clock = clock
        self.replica = replica
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._periods: dict[str, float] = {}

    def every(self, interval: float, name: str, run: Callable[[], object]) -> None:
        """Run ``run`` every ``interval`` seconds on one replica, first after one interval."""
        tick = max(0.1, min(interval / 4, 10.0))
        self._periods[name] = interval

        def loop() -> None:
            while not self._stopping.wait(tick):
                try:
                    self.run_if_due(name, interval, run)
                except Exception:  # the next tick tries again; the job stays due
                    log.exception("periodic job %s failed", name)

        thread = threading.Thread(target=loop, name=f"orgloop-job-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def run_if_due(self, name: str, interval: float, run: Callable[[], object]) -> bool:
        """Run the job if it is due and no other replica runs it now; True if it ran here."""
        engine = self._db.engine
        with engine.connect() as lock:
            if engine.dialect.name == "postgresql":
                got = lock.scalar(sa.select(sa.func.pg_try_advisory_lock(lock_key(f"job:{name}"))))
                lock.commit()
                if not got:
                    return False
            try:
                return self._run_locked(name, interval, run)
            finally:
                if engine.dialect.name == "postgresql":
                    lock.execute(sa.select(sa.func.pg_advisory_unlock(lock_key(f"job:{name}"))))
                    lock.commit()

    def _run_locked(self, name: str, interval: float, run: Callable[[], object]) -> bool:
        now = self._clock.now()
        with self._db.transaction() as session:
            row = session.get(_JobRow, name)
            if row is None:
                session.add(_JobRow(name=name, due_at=now + timedelta(seconds=interval), runs=0))
                return False
            if _aware(row.due_at) > now:
                return False
            row.last_started_at = now
            row.last_replica = self.replica
        try:
            run()
        finally:  # a job that failed waits for its next period too; one that died does not
            with self._db.transaction() as session:
                row = session.get(_JobRow, name)
                assert row is not None
                row.due_at = now + timedelta(seconds=interval)
                row.last_finished_at = self._clock.now()
                row.runs += 1
        return True

    def status(self) -> list[JobStatus]:
        """Every job the database knows or this replica runs, by name."""
        with self._db.reading() as session:
            rows = {row.name: row for row in session.scalars(sa.select(_JobRow))}
        return [
            _status(name, self._periods.get(name), rows.get(name))
            for name in sorted(rows.keys() | self._periods.keys())
        ]

    def close(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)


def _status(name: str, period: float | None, row: _JobRow | None) -> JobStatus:
    """A job as its row records it (none yet before a replica's first tick)."""
    if row is None:
        return JobStatus(
            name=name, every_seconds=period, due_at=None, runs=0, last_started_at=None,
            last_finished_at=None, last_replica=None, running=False,
        )  # fmt: skip
    started = _aware(row.last_started_at) if row.last_started_at else None
    finished = _aware(row.last_finished_at) if row.last_finished_at else None
    return JobStatus(
        name=name,
        every_seconds=period,
        due_at=_aware(row.due_at),
        runs=row.runs,
        last_started_at=started,
        last_finished_at=finished,
        last_replica=row.last_replica,
        running=started is not None and (finished is None or finished < started),
    )


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive (they were stored in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
