"""The event store's loader: moves closed ingest-log segments into the DuckDB tables.

Each segment is loaded with DuckDB's own JSON reader (C++, off the GIL) in one transaction that
also records the segment's number in ``ingest_log_loaded``; only then is the file removed, so a
segment is loaded exactly once, whatever the moment of a crash.  Should DuckDB's reader refuse a
segment, the msgspec structs that validated its rows decode it instead
(``rows.load_lines_in_python``).  ``recover`` loads what a previous run left behind.

With a shared directory (``shared.SharedDir``, several replicas), a segment is first staged in
temporary tables, sealed from there as Parquet, and only then inserted and recorded: a crash
between the two seals it again under the same name on the next open.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from orgloop.experiments.ingest import log as ingest_log
from orgloop.experiments.ingest.rows import load_lines_in_python
from orgloop.experiments.ingest.shared import SharedDir

TABLES = ingest_log.TABLES

# The row struct of each table's log lines, as DuckDB's JSON reader should read it.
_ROWS = {
    "exposures": "STRUCT(id VARCHAR, unit VARCHAR, experiment VARCHAR, variant VARCHAR, "
    '"timestamp" TIMESTAMPTZ, properties JSON)',
    "events": "STRUCT(id VARCHAR, unit VARCHAR, event VARCHAR, value DOUBLE, "
    '"timestamp" TIMESTAMPTZ, properties JSON)',
}
_FIELDS = {
    "exposures": "id, unit, experiment, variant, timestamp, properties",
    "events": "id, unit, event, value, timestamp, properties",
}
_LINE_LIMIT = 64 << 20  # longer than any batch's line (bodies are limited to 8 MiB)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Barrier:
    """Resolved once every segment logged before it is loaded."""

    done: Future[None] = field(default_factory=Future)


@dataclass(slots=True)
class Loader:
    """The thread that moves closed log segments into the DuckDB tables."""

    con: duckdb.DuckDBPyConnection
    directory: Path
    shared: SharedDir | None = None
    waiting: queue.SimpleQueue[int | Barrier | None] = field(default_factory=queue.SimpleQueue)

    def run(self) -> None:
        while (item := self.waiting.get()) is not None:
            if isinstance(item, Barrier):
                item.done.set_result(None)
                continue
            try:
                self.load(item)
            except Exception:  # the segment stays on disk and is loaded on the next open
                log.exception("could not load ingest log segment %d; it is kept", item)

    def recover(self) -> int:
        """Load the segments a previous run left (after a crash); the last segment number."""
        rows = self.con.execute("SELECT segment FROM ingest_log_loaded").fetchall()
        done: set[int] = {int(row[0]) for row in rows}
        present = ingest_log.segments(self.directory)
        for seq in present:
            if seq not in done:
                for table in TABLES:
                    path = ingest_log.segment_path(self.directory, seq, table)
                    if path.exists():
                        ingest_log.repair(path)
                self.load(seq)
            else:
                self.remove(seq)
        last = max([*present, *done, 0])
        # Every segment up to ``last`` is loaded and its files are gone: one row keeps the count.
        self.con.execute("DELETE FROM ingest_log_loaded WHERE segment < $last", {"last": last})
        return last

    def load(self, seq: int) -> None:
        paths = {t: ingest_log.segment_path(self.directory, seq, t) for t in TABLES}
        paths = {t: p for t, p in paths.items() if p.exists() and p.stat().st_size}
        if self.shared is not None:
            self.load_and_seal(seq, paths, self.shared)
            self.remove(seq)
            return
        try:
            self.transaction(seq, {t: _insert_from_json(t, p) for t, p in paths.items()})
        except duckdb.Error as exc:
            log.warning(
                "DuckDB could not read ingest log segment %d (%s); decoding it in Python", seq, exc
            )
            tables = {t: load_lines_in_python(t, p.read_bytes()) for t, p in paths.items()}
            self.transaction(
                seq, {t: f"INSERT INTO {t} SELECT * FROM rows_{t}" for t in tables}, tables
            )
        self.remove(seq)

    def transaction(
        self, seq: int, inserts: dict[str, str], tables: dict[str, pa.Table] | None = None
    ) -> None:
        for table, rows in (tables or {}).items():
            self.con.register(f"rows_{table}", rows)
        statements = "".join(f" {sql};" for sql in inserts.values())
        try:
            self.con.execute(
                f"BEGIN TRANSACTION;{statements} INSERT INTO ingest_log_loaded VALUES ({seq:d}); COMMIT"
            )
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            for table in tables or {}:
                self.con.unregister(f"rows_{table}")

    def load_and_seal(self, seq: int, paths: dict[str, Path], shared: SharedDir) -> None:
        """Stage the segment's rows once, seal them in the shared directory, then insert them."""
        staged = {t: f"staged_{t}" for t in paths}
        try:
            try:
                self.stage(staged, {t: _select_from_json(t, p) for t, p in paths.items()})
            except duckdb.Error as exc:
                log.warning(
                    "DuckDB could not read ingest log segment %d (%s); decoding it in Python",
                    seq,
                    exc,
                )
                tables = {t: load_lines_in_python(t, p.read_bytes()) for t, p in paths.items()}
                for t, rows in tables.items():
                    self.con.register(f"rows_{t}", rows)
                try:
                    self.stage(staged, {t: f"SELECT * FROM rows_{t}" for t in tables})
                finally:
                    for t in tables:
                        self.con.unregister(f"rows_{t}")
            shared.seal(self.con, seq, staged)
            self.transaction(
                seq, {t: f"INSERT INTO {t} SELECT * FROM {s}" for t, s in staged.items()}
            )
        finally:
            for name in staged.values():
                self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")

    def stage(self, staged: dict[str, str], selects: dict[str, str]) -> None:
        """Fill a temporary table of each table's own columns from each table's ``SELECT``."""
        for table, select in selects.items():
            name = staged[table]
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM {table} LIMIT 0")
            self.con.execute(f"INSERT INTO {name} {select}")

    def remove(self, seq: int) -> None:
        for table in TABLES:
            ingest_log.segment_path(self.directory, seq, table).unlink(missing_ok=True)


def _insert_from_json(table: str, path: Path) -> str:
    return f"INSERT INTO {table} " + _select_from_json(table, path)


def _select_from_json(table: str, path: Path) -> str:
    """The segment file's rows, in the table's column order."""
    columns = "{'r': 'TIMESTAMPTZ', 'env': 'VARCHAR', 'rows': '" + _ROWS[table] + "[]'}"
    quoted = str(path).replace("'", "''")
    fields = ", ".join(f"row.{name}" for name in _FIELDS[table].split(", "))
    return (
        f"SELECT {fields}, env, r FROM ("
        f"SELECT unnest(rows) AS row, env, r FROM read_json('{quoted}', "
        f"format = 'newline_delimited', columns = {columns}, maximum_object_size = {_LINE_LIMIT}))"
    )
