"""JavaScript value semantics that targeting conditions depend on, for JSON attribute values.

GrowthBook's conditions are defined by what its JavaScript SDK does: ``value + ""`` for string
equality, ``value * 1`` for numbers, ``!!value`` for booleans, abstract relational comparison for
``$gt``. These helpers reproduce those rules for the values JSON can carry, so a condition means
the same thing in the server, in this SDK and in the browser. Also here: GrowthBook's padded
version strings, and the guard that refuses regular expressions that could backtrack forever.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

REGEX_MAX_PATTERN: Final = 256
"""Longest regular expression a condition may hold."""
REGEX_MAX_INPUT: Final = 1024
"""Longest attribute value a regular expression runs on; longer values do not match."""


def js_truthy(value: Any) -> bool:
    """``!!value``: unlike Python, an empty list or object is true."""
    if value is None or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def js_number_str(value: float) -> str:
    """``String(number)`` for the numbers that JSON carries."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    # Python writes 1e-07, JavaScript 1e-7.
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)


def js_string(value: Any) -> str:
    """``value + ""``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number_str(value)
    if isinstance(value, list | tuple):
        return ",".join("" if v is None else js_string(v) for v in value)
    return "[object Object]"


def js_number(value: Any) -> float:
    """``Number(value)``; NaN where JavaScript gives NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
        except ValueError:
            return math.nan
    if isinstance(value, list | tuple):
        return js_number(js_string(value)) if len(value) <= 1 else math.nan
    return math.nan


def js_strict_eq(a: Any, b: Any) -> bool:
    """``a === b`` for JSON values: no coercion, and two distinct objects are never equal."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is b
    return a is b


def js_compare(a: Any, b: Any) -> float | None:
    """Sign of ``a - b`` under JavaScript's relational comparison; None where it is false."""
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    x, y = js_number(a), js_number(b)
    if math.isnan(x) or math.isnan(y):
        return None
    return (x > y) - (x < y)


def js_json(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON values (integral floats written as integers)."""
    return json.dumps(_normalise(value), separators=(",", ":"), ensure_ascii=False)


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def js_type(value: Any) -> str:
    """The type names of GrowthBook's ``$type`` operator."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


_VERSION_STRIP = re.compile(r"(^v|\+.*$)")
_VERSION_SPLIT = re.compile(r"[-.]")
_DIGITS = re.compile(r"^[0-9]+$")


def padded_version(value: Any) -> str:
    """GrowthBook's ``paddedVersionString``: versions that compare correctly as strings."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = js_number_str(value)
    if not value or not isinstance(value, str):
        value = "0"
    parts = _VERSION_SPLIT.split(_VERSION_STRIP.sub("", value))
    if len(parts) == 3:
        parts.append("~")  # "~" sorts after letters: 1.0.0 > 1.0.0-beta
    return "-".join(p.rjust(5) if _DIGITS.match(p) else p for p in parts)


PADDED_VERSIONS: dict[str, str] = {}
"""``padded_version`` of the version strings seen lately (a fleet reports a few releases)."""
_PADDED_MAX: Final = 4096


def padded_version_cached(value: Any) -> str:
    """``padded_version``, remembered for strings (at most 4,096; then it starts over)."""
    if value.__class__ is not str:
        return padded_version(value)
    found = PADDED_VERSIONS.get(value)
    if found is None:
        found = padded_version(value)
        if len(PADDED_VERSIONS) >= _PADDED_MAX:
            PADDED_VERSIONS.clear()  # bounded; a racing thread at worst recomputes one
        PADDED_VERSIONS[value] = found
    return found


def regex_problem(pattern: str) -> str | None:
    """Why a pattern is refused (too long, backreference, nested quantifier), or None."""
    if len(pattern) > REGEX_MAX_PATTERN:
        return f"regular expression longer than {REGEX_MAX_PATTERN} characters"
    if "(?P=" in pattern:
        return "backreferences are not allowed in regular expressions"
    # Per open group: does it contain a repetition that can run unbounded?
    stack: list[bool] = []
    inner_repeat = False
    closed_repeating = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        quantified_group = closed_repeating
        closed_repeating = False
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if (nxt.isdigit() and nxt != "0") or nxt == "k":
                return "backreferences are not allowed in regular expressions"
            i += 2
            continue
        if ch == "[":
            i = _skip_class(pattern, i)
            continue
        if ch == "(":
            stack.append(inner_repeat)
            inner_repeat = False
        elif ch == ")" and stack:
            closed_repeating = inner_repeat
            inner_repeat = stack.pop() or inner_repeat
        elif ch in "*+" or (ch == "{" and _is_unbounded_brace(pattern, i)):
            if quantified_group:
                return "nested quantifiers (like (a+)+) are not allowed in regular expressions"
            inner_repeat = True
        i += 1
    return None


def _skip_class(pattern: str, i: int) -> int:
    i += 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


_BRACE = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _is_unbounded_brace(pattern: str, i: int) -> bool:
    match = _BRACE.match(pattern, i)
    if match is None:
        return False
    low, comma, high = match.groups()
    if not comma:
        return int(low or 0) > 1
    return high == "" or int(high) > 1


def compile_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a condition's pattern; raises ``ValueError`` with the reason when refused."""
    problem = regex_problem(pattern)
    if problem is not None:
        raise ValueError(problem)
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
