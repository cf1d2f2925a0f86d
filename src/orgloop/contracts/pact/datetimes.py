"""Pact date, time and timestamp formats: Java ``SimpleDateFormat`` patterns checked in Python.

Pact files carry formats such as ``yyyy-MM-dd'T'HH:mm:ss.SSSX``; each letter run is turned into a
``strptime`` directive so that values are checked for real (a month 13 fails), not only by shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time

_DIRECTIVES: dict[str, Callable[[int], str]] = {
    "y": lambda n: "%y" if n == 2 else "%Y",
    "u": lambda n: "%Y",
    "M": lambda n: {3: "%b"}.get(n, "%B" if n > 3 else "%m"),
    "L": lambda n: {3: "%b"}.get(n, "%B" if n > 3 else "%m"),
    "d": lambda n: "%d",
    "D": lambda n: "%j",
    "H": lambda n: "%H",
    "k": lambda n: "%H",
    "h": lambda n: "%I",
    "K": lambda n: "%I",
    "m": lambda n: "%M",
    "s": lambda n: "%S",
    "S": lambda n: "%f",
    "a": lambda n: "%p",
    "E": lambda n: "%A" if n > 3 else "%a",
    "Z": lambda n: "%z",
    "X": lambda n: "%z",
    "x": lambda n: "%z",
    "z": lambda n: "%Z",
}
_RUN = re.compile(r"'([^']*)'|([A-Za-z])\2*|[^A-Za-z']+")


def to_strptime(pattern: str) -> str:
    """``yyyy-MM-dd'T'HH:mm`` -> ``%Y-%m-%dT%H:%M``; raises ValueError for unknown letters."""
    out = []
    for m in _RUN.finditer(pattern):
        text = m.group(0)
        if m.group(1) is not None:
            out.append(m.group(1).replace("%", "%%") if m.group(1) else "'")
        elif m.group(2) is not None:
            directive = _DIRECTIVES.get(m.group(2))
            if directive is None:
                raise ValueError(f"unsupported pattern letter {m.group(2)!r} in {pattern!r}")
            out.append(directive(len(text)))
        else:
            out.append(text.replace("%", "%%"))
    return "".join(out)


def check(kind: str, value: str, pattern: str | None) -> str | None:
    """None when ``value`` is a valid ``kind`` (date, time, timestamp) for ``pattern``."""
    if pattern:
        try:
            datetime.strptime(value, to_strptime(pattern))
        except ValueError as exc:
            return f"'{value}' does not match the {kind} format '{pattern}' ({exc})"
        return None
    parse = {"date": date.fromisoformat, "time": time.fromisoformat}.get(kind, _iso_timestamp)
    try:
        parse(value)
    except ValueError:
        return f"'{value}' is not an ISO 8601 {kind}"
    return None


def _iso_timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
