"""The event store's loader: moves closed ingest-log segments into the DuckDB tables.

Each segment is read with DuckDB's own JSON reader (C++, off the GIL) into temporary tables, then
inserted with its units' numbers (``units.number_segment``) in one transaction that also records
the segment's number in ``ingest_log_loaded``; only then is the file removed, so a segment is
loaded exactly once, whatever the moment of a crash.  Should DuckDB's reader refuse a segment,
the msgspec structs that validated its rows decode it instead (``rows.load_lines_in_python``).
``recover`` loads what a previous run left behind.

With a shared directory (``shared.SharedDir``, several replicas), the staged rows are also sealed
as Parquet before the transaction: a crash between the two seals them again under the same name
on the next open.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orgloop.experiments.ingest import log as ingest_log
from orgloop.experiments.ingest import units
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
    units: units.UnitIndex
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
        staged = {t: f"staged_{t}" for t in paths}
        try:
            self.stage_segment(seq, staged, paths)
            if self.shared is not None:
                self.shared.seal(self.con, seq, staged)
            self.commit(seq, staged)
        finally:
            for name in staged.values():
                self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.remove(seq)

    def stage_segment(self, seq: int, staged: dict[str, str], paths: dict[str, Path]) -> None:
        """The segment's rows in temporary tables, read by DuckDB's JSON reader, or decoded in
        Python should it refuse them."""
        try:
            self.stage(staged, {t: _select_from_json(t, p) for t, p in paths.items()})
        except duckdb.Error as exc:
            log.warning(
                "DuckDB could not read ingest log segment %d (%s); decoding it in Python", seq, exc
            )
            tables = {t: load_lines_in_python(t, p.read_bytes()) for t, p in paths.items()}
            for t, rows in tables.items():
                self.con.register(f"rows_{t}", rows)
            try:
                self.stage(staged, {t: f"SELECT * FROM rows_{t}" for t in tables})
            finally:
                for t in tables:
                    self.con.unregister(f"rows_{t}")

    def stage(self, staged: dict[str, str], selects: dict[str, str]) -> None:
        """Fill a temporary table of each table's own columns (all but ``uid``) from each
        table's ``SELECT``."""
        for table, select in selects.items():
            name = staged[table]
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * EXCLUDE (uid) FROM {table} LIMIT 0"
            )
            self.con.execute(f"INSERT INTO {name} {select}")

    def commit(self, seq: int, staged: dict[str, str]) -> None:
        """Insert the staged rows with their units' numbers and record the segment as loaded, in
        one transaction; the new units enter the index only once it is committed."""
        numbering = units.number_segment(self.con, self.units, staged) if staged else None
        statements = "".join(f" {sql};" for sql in numbering.statements) if numbering else ""
        try:
            self.con.execute(
                f"BEGIN TRANSACTION;{statements} INSERT INTO ingest_log_loaded VALUES ({seq:d}); COMMIT"
            )
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            if numbering is not None:
                for name in units.REGISTERED:
                    self.con.unregister(name)
        if numbering is not None:
            self.units.add(*numbering.new)

    def remove(self, seq: int) -> None:
        for table in TABLES:
            ingest_log.segment_path(self.directory, seq, table).unlink(missing_ok=True)


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
