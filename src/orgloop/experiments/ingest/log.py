"""The ingest log: acknowledged batches as lines of JSON on disk until DuckDB has loaded them.

A batch is acknowledged once its line is written and ``fdatasync``-ed here, not once it is in
DuckDB: appending a line costs the request path almost nothing, and DuckDB's own JSON reader loads
the lines later, in C++ threads that do not hold the GIL.

Layout, beside the store's file: ``events-log/<seq>.<table>.ndjson``, one file per table per
segment, one line per batch::

    {"r": "<received_at>", "env": "<environment or null>", "rows": [<Exposure or Track>, ...]}

Every line is msgspec's encoding of already validated rows (``parsing.Exposure``/``parsing.Track``),
so it contains no raw newline and its grammar is narrow and known.  The writer appends to the
current segment; ``rotate`` closes it and hands its number on for loading.  A crash can leave the
current segment with a partial last line (a batch that was never acknowledged, since its sync did
not finish): ``repair`` cuts it off.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import BinaryIO

import msgspec

TABLES = ("exposures", "events")
_NAME = re.compile(r"^(?P<seq>\d{12})\.(?P<table>exposures|events)\.ndjson$")
_ENCODE = msgspec.json.Encoder().encode


def segment_path(directory: Path, seq: int, table: str) -> Path:
    return directory / f"{seq:012d}.{table}.ndjson"


def segments(directory: Path) -> list[int]:
    """Numbers of the segments present, oldest first."""
    if not directory.exists():
        return []
    found = {int(m["seq"]) for p in directory.iterdir() if (m := _NAME.match(p.name))}
    return sorted(found)


def repair(path: Path) -> None:
    """Cut a torn last line (a write the crash interrupted, never acknowledged)."""
    with path.open("r+b") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(max(0, size - 1))
        if f.read(1) == b"\n":
            return
        end = _last_newline(f, size)
        f.truncate(end)
        os.fsync(f.fileno())


def _last_newline(f: BinaryIO, size: int) -> int:
    """Offset just past the last newline before ``size`` (0 if there is none)."""
    position = size
    while position > 0:
        start = max(0, position - (1 << 16))
        f.seek(start)
        chunk = f.read(position - start)
        at = chunk.rfind(b"\n")
        if at >= 0:
            return start + at + 1
        position = start
    return 0


def line_prefix(received_at: object, environment: str | None) -> bytes:
    """The start of one batch's line, up to its rows: ``{"r":...,"env":...,"rows":``."""
    return b'{"r":' + _ENCODE(received_at) + b',"env":' + _ENCODE(environment) + b',"rows":'


class LogWriter:
    """Appends lines to the current segment's files and makes them durable (one sync per call)."""

    def __init__(self, directory: Path, seq: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.seq = seq
        self.size = 0
        self.opened = time.monotonic()
        self._files: dict[str, BinaryIO] = {}

    def write(self, lines: dict[str, list[bytes]]) -> None:
        """Append each table's lines and sync; on failure nothing of this call remains."""
        written: list[tuple[BinaryIO, int]] = []
        try:
            for table, chunk in lines.items():
                if not chunk:
                    continue
                f = self._file(table)
                written.append((f, f.tell()))
                _write_all(f, b"".join(chunk))
            for f, _ in written:
                os.fdatasync(f.fileno())
        except BaseException:
            for f, before in written:  # a torn write must not sit in front of later lines
                os.ftruncate(f.fileno(), before)
                f.seek(before)
            raise
        self.size += sum(f.tell() - before for f, before in written)

    def rotate(self) -> int | None:
        """Close the current segment; its number if it holds anything (to load), else None."""
        for f in self._files.values():
            f.close()
        had_lines = bool(self._files)
        self._files = {}
        seq = self.seq
        self.seq += 1
        self.size = 0
        self.opened = time.monotonic()
        return seq if had_lines else None

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}

    @property
    def age(self) -> float:
        return time.monotonic() - self.opened

    def _file(self, table: str) -> BinaryIO:
        f = self._files.get(table)
        if f is None:
            f = segment_path(self.directory, self.seq, table).open("ab", buffering=0)
            self._files[table] = f
            _sync_directory(self.directory)  # the new file's name is durable too
        return f


def _write_all(f: BinaryIO, data: bytes) -> None:
    """An unbuffered write may take only part of ``data``: write until all of it is out."""
    view = memoryview(data)
    while view:
        view = view[f.write(view) or 0 :]


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
