"""The shared directory of tracked events, for several replicas: sealed segments as Parquet files.

Each replica keeps its own ingest log and DuckDB file in its own data directory.  With
``ORGLOOP_EVENTS_SHARED_DIR`` set, the loader also *seals* every log segment it loads: the
segment's rows, exactly as they enter the tables, become one Parquet file per table in the shared
directory, written under a temporary name, synced and renamed, before the segment is recorded as
loaded (so a crash at any moment leaves either no file or the whole file, and a reload after the
crash writes the same file again under the same name)::

    <shared>/exposures/<store id>-<segment>.parquet
    <shared>/events/<store id>-<segment>.parquet

The store id is random, made the first time a store opens with a shared directory and kept in the
store's DuckDB file (``store_identity``), so names never collide across replicas, nor with the files
of an earlier store whose data directory was lost.  Segment 0 is the rows the store held before it
first opened with a shared directory.

An analysis reads the replica's own tables (every event it acknowledged, see ``EventStore.flush``)
together with every other store's Parquet files, keeping one row per event id: an SDK that resent
a batch to another replica after a timeout sent the same ids twice, and each replica only dedupes
what it stores itself.  ``attach_views`` puts that union in front of the tables for one cursor.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import duckdb

TABLES = ("exposures", "events")
_IDENTITY = "CREATE TABLE IF NOT EXISTS store_identity (id VARCHAR NOT NULL)"
_GLOB_CHARACTERS = set("*?[]{}'")


class SharedDir:
    """Where this store seals its segments, and how a reader sees every store's events."""

    def __init__(self, root: Path, store_id: str) -> None:
        bad = _GLOB_CHARACTERS & set(str(root))
        if bad:
            raise ValueError(
                f"the events shared directory {str(root)!r} contains {''.join(sorted(bad))!r}; "
                "choose a path without glob characters or quotes"
            )
        self.root = root
        self.store_id = store_id
        for table in TABLES:
            (root / table).mkdir(parents=True, exist_ok=True)

    @classmethod
    def open(cls, root: Path, con: duckdb.DuckDBPyConnection) -> SharedDir:
        """The shared directory as seen by the store of ``con``; a store opened with one for the
        first time gets its id and seals the rows it already holds (segment 0)."""
        con.execute(_IDENTITY)
        rows = con.execute("SELECT id FROM store_identity").fetchall()
        if rows:
            return cls(root, str(rows[0][0]))
        shared = cls(root, uuid.uuid4().hex)
        shared.seal(con, 0, {table: table for table in TABLES})
        # A crash before this insert leaves a sealed file under an id nobody owns: its rows are
        # sealed again under the next id, and readers keep one row per event id.
        con.execute("INSERT INTO store_identity VALUES ($id)", {"id": shared.store_id})
        return shared

    def path(self, table: str, seq: int) -> Path:
        return self.root / table / f"{self.store_id}-{seq:012d}.parquet"

    def seal(self, con: duckdb.DuckDBPyConnection, seq: int, sources: Mapping[str, str]) -> None:
        """Write each table's rows (``sources``: table -> relation holding them) as the segment's
        Parquet file, durably; an empty relation writes no file.  Unit numbers (``uid``) are
        this store's own and are not sealed."""
        for table, relation in sources.items():
            if not con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]:
                continue
            final = self.path(table, seq)
            temporary = final.with_name(f".{final.name}.tmp")
            quoted = str(temporary).replace("'", "''")
            con.execute(
                f"COPY (SELECT COLUMNS(lambda c: c <> 'uid') FROM {relation}) TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)"
            )
            _sync_file(temporary)
            os.replace(temporary, final)
            _sync_file(final.parent)

    def others(self, table: str) -> bool:
        """Whether another store has sealed any file of ``table``."""
        own = f"{self.store_id}-"
        with os.scandir(self.root / table) as entries:
            return any(e.name.endswith(".parquet") and not e.name.startswith(own) for e in entries)

    def attach_views(self, cur: duckdb.DuckDBPyConnection, catalog: str) -> None:
        """Temporary views on ``cur``, named as the tables: own rows plus every other store's
        sealed rows, one per event id.  Only a table that others wrote to gets a view."""
        for table in TABLES:
            if not self.others(table):
                continue
            pattern = str(self.root / table / "*.parquet")
            local = '"' + catalog.replace('"', '""') + f'".main.{table}'
            columns = ", ".join(
                f'"{name}"'
                for (name,) in cur.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = $catalog "
                    "AND schema_name = 'main' AND table_name = $table AND column_name <> 'uid' "
                    "ORDER BY column_index",
                    {"catalog": catalog, "table": table},
                ).fetchall()
            )
            cur.execute(
                f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT DISTINCT ON (id) {columns} FROM ("
                f"SELECT {columns} FROM {local} UNION ALL "
                f"SELECT {columns} FROM read_parquet('{pattern}', filename = true, "
                f"union_by_name = true) WHERE NOT starts_with(parse_filename(filename), "
                f"'{self.store_id}-'))"
            )


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
