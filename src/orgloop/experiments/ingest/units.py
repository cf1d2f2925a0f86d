"""Unit numbers: the event store gives every unit a dense integer, ``uid`` (0, 1, 2, ...).

Every exposure and event row carries its unit's number, and the ``units`` table keeps each unit's
number with a 128-bit fingerprint of its name (its MD5, in two halves).  The analysis uses the
numbers as array positions (``experiments.numbered``): each unit's first exposure is ``t0[uid]``
and each per-unit value one ``numpy.bincount`` over ``uid``, so it needs neither the hash join of
events to first exposures nor a per-unit GROUP BY, which are most of what the same analysis costs
in SQL (bench/README.md, "Fourth round").

The loader numbers the units of each segment in the segment's own transaction (``number_segment``):
the segment's distinct units are looked up by fingerprint in ``UnitIndex`` (in memory, 20 bytes per
unit, rebuilt from ``units`` when the store opens); the new ones get the next numbers and go into
``units``, and every row is inserted with its number (a join with the segment's distinct units,
not with every unit).  Asking the table itself instead would scan every unit for every segment:
0.7 s per segment at 10M units.  Two different units share a fingerprint with probability about
n² / 2¹²⁹ (10⁻²³ at 100M units), so the fingerprint stands for the unit.

A store made before the numbers existed is numbered once, in SQL, when it opens
(``number_units``); tests and benchmarks number the tables they build with it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from orgloop.experiments.ingest.log import TABLES

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    unit VARCHAR NOT NULL,
    uid INTEGER NOT NULL,
    hi UBIGINT NOT NULL,
    lo UBIGINT NOT NULL
);
"""


def fingerprinted(units: str) -> str:
    """``unit, hi, lo`` of the relation ``units`` (one MD5 per unit, split into halves)."""
    return (
        "SELECT unit, (h >> 64)::UBIGINT AS hi, (h & 18446744073709551615)::UBIGINT AS lo"
        f" FROM (SELECT unit, md5_number(unit) AS h FROM ({units}))"
    )


Fingerprints = npt.NDArray[np.uint64]
Numbers = npt.NDArray[np.int64]


class UnitIndex:
    """Each stored unit's number by fingerprint, as a few runs sorted by the upper half (merged
    like a binary counter, as ``rows.HashIndex``)."""

    def __init__(self, hi: Fingerprints, lo: Fingerprints, uid: Numbers) -> None:
        self._runs: list[tuple[Fingerprints, Fingerprints, Numbers]] = []
        self.size = 0  # the next number: numbers are dense
        self.add(hi, lo, uid)

    @classmethod
    def of_table(cls, con: duckdb.DuckDBPyConnection) -> UnitIndex:
        """The index of ``units`` as stored (about 0.1 s per million units)."""
        table = con.sql("SELECT hi, lo, uid FROM units").to_arrow_table()
        return cls(_u64(table.column(0)), _u64(table.column(1)), _i64(table.column(2)))

    def __len__(self) -> int:
        return self.size

    def lookup(self, hi: Fingerprints, lo: Fingerprints) -> Numbers:
        """Each fingerprint's number, -1 where the unit is not stored."""
        out = np.full(hi.size, -1, dtype=np.int64)
        for run_hi, run_lo, run_uid in self._runs:
            at = np.minimum(np.searchsorted(run_hi, hi), run_hi.size - 1)
            same_hi = run_hi[at] == hi
            hit = same_hi & (run_lo[at] == lo)
            out[hit] = run_uid[at[hit]]
            # Equal upper halves of different units (about n² / 2⁶⁵ pairs): look further along.
            for i in np.flatnonzero(same_hi & ~hit):
                j = int(at[i]) + 1
                while j < run_hi.size and run_hi[j] == hi[i]:
                    if run_lo[j] == lo[i]:
                        out[i] = run_uid[j]
                        break
                    j += 1
        return out

    def number(self, hi: Fingerprints, lo: Fingerprints) -> tuple[Numbers, npt.NDArray[np.bool_]]:
        """The numbers of distinct units' fingerprints, the new ones numbered next in order; and
        which are new.  Nothing is recorded: ``add`` the new ones once they are stored."""
        uid = self.lookup(hi, lo)
        new = uid < 0
        uid[new] = self.size + np.arange(int(new.sum()), dtype=np.int64)
        return uid, new

    def add(self, hi: Fingerprints, lo: Fingerprints, uid: Numbers) -> None:
        if not uid.size:
            return
        self._runs.append(_sorted(hi, lo, uid))
        self.size = max(self.size, int(uid.max()) + 1)
        while len(self._runs) > 1 and self._runs[-2][0].size <= 2 * self._runs[-1][0].size:
            last = self._runs.pop()
            merged = (np.concatenate([a, b]) for a, b in zip(self._runs[-1], last, strict=True))
            self._runs[-1] = _sorted(*merged)


@dataclass(frozen=True, slots=True)
class Numbering:
    """A segment's units numbered: the statements that store its rows with their numbers, and
    the new units to add to the index once those statements are committed."""

    statements: tuple[str, ...]
    new: tuple[Fingerprints, Fingerprints, Numbers]  # for ``UnitIndex.add``


REGISTERED = ("segment_units", "new_units")


def number_segment(
    con: duckdb.DuckDBPyConnection, index: UnitIndex, staged: Mapping[str, str]
) -> Numbering:
    """Number the units of the staged rows (``staged``: table -> temporary table of its rows).

    Registers ``segment_units`` and ``new_units`` (Arrow) on ``con`` for the statements; the
    caller unregisters them (``REGISTERED``) after running the statements in one transaction."""
    every = " UNION ALL ".join(f"SELECT unit FROM {name}" for name in staged.values())
    found = con.sql(fingerprinted(f"SELECT DISTINCT unit FROM ({every})")).to_arrow_table()
    hi, lo = _u64(found.column("hi")), _u64(found.column("lo"))
    uid, new = index.number(hi, lo)
    segment = found.append_column("uid", pa.array(uid, pa.int32()))
    con.register("segment_units", segment)
    con.register("new_units", segment.filter(pa.array(new)))
    inserts = (
        # A LEFT JOIN: a row is never dropped for want of a number (``number_units`` gives it
        # one at the next open).
        f"INSERT INTO {table} BY NAME SELECT s.*, m.uid FROM {name} s"
        " LEFT JOIN segment_units m ON s.unit = m.unit"
        for table, name in staged.items()
    )
    return Numbering(
        statements=("INSERT INTO units BY NAME SELECT unit, uid, hi, lo FROM new_units", *inserts),
        new=(hi[new], lo[new], uid[new]),
    )


def number_units(con: duckdb.DuckDBPyConnection) -> int:
    """Give ``exposures`` and ``events`` a ``uid`` column where they lack it, and every row
    without a number its unit's number (new units numbered next); returns how many rows got one.

    For a store made before unit numbers, once, and for tables built outside the store.
    """
    con.execute(SCHEMA)
    for table in TABLES:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS uid INTEGER")
    missing = " UNION ".join(f"SELECT unit FROM {t} WHERE uid IS NULL" for t in TABLES)
    if not con.execute(f"SELECT EXISTS ({missing})").fetchall()[0][0]:
        return 0
    numbered = 0
    con.execute("BEGIN TRANSACTION")
    try:
        new = f"SELECT unit FROM ({missing}) s ANTI JOIN units u USING (unit)"
        con.execute(
            "INSERT INTO units SELECT unit, (SELECT count(*) FROM units) + row_number() OVER ()"
            f" - 1, hi, lo FROM ({fingerprinted(new)})"
        )
        for table in TABLES:
            updated = con.execute(
                f"UPDATE {table} SET uid = u.uid FROM units u"
                f" WHERE {table}.uid IS NULL AND {table}.unit = u.unit"
            ).fetchall()
            numbered += int(updated[0][0]) if updated else 0
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return numbered


def _sorted(
    hi: Fingerprints, lo: Fingerprints, uid: Numbers
) -> tuple[Fingerprints, Fingerprints, Numbers]:
    order = np.argsort(hi, kind="stable")
    return hi[order], lo[order], uid[order].astype(np.int64)


def _u64(column: pa.ChunkedArray) -> Fingerprints:
    return np.asarray(column.to_numpy(), dtype=np.uint64)


def _i64(column: pa.ChunkedArray) -> Numbers:
    return np.asarray(column.to_numpy(), dtype=np.int64)
