"""What each Pact matcher says about one expected and one actual value.

``check`` returns None when the value passes and a message when it does not. ``cascaded`` is
true when the rule was written on an ancestor of the value: size limits then do not apply and
matchers that only make sense on the exact path are skipped, as in the reference implementation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from orgloop.contracts.pact import datetimes
from orgloop.contracts.pact.rules import Matcher

_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_STATUS_CLASSES = {
    "information": range(100, 200), "success": range(200, 300), "redirect": range(300, 400),
    "clientError": range(400, 500), "serverError": range(500, 600),
    "nonError": range(100, 400), "error": range(400, 600),
}  # fmt: skip


def json_type(value: Any) -> str:
    """The JSON type name used in messages: Map, List, Null, Boolean, Number, String."""
    if isinstance(value, dict):
        return "Map"
    if isinstance(value, list):
        return "List"
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    return "String"


def show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def json_equal(expected: Any, actual: Any) -> bool:
    """Equality of JSON values: ``4 != "4"`` and ``True != 1``."""
    if json_type(expected) != json_type(actual):
        return False
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(
            json_equal(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(
            json_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return bool(expected == actual)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(matcher: Matcher, expected: Any, actual: Any, *, cascaded: bool = False) -> str | None:
    """None if ``actual`` satisfies ``matcher`` (given the example ``expected``), else why not."""
    kind = matcher.kind
    if kind in ("equality", "values"):
        ok = (
            json_equal(expected, actual)
            if kind == "equality" or not _is_container(actual)
            else True
        )
        return None if ok else f"Expected {show(actual)!r} to be equal to {show(expected)!r}"
    if kind == "type":
        return _check_type(matcher, expected, actual, cascaded)
    container_rule = kind in ("arrayContains", "eachKey", "eachValue", "notEmpty")
    if _is_container(actual) and not container_rule and cascaded:
        return None  # a value matcher written on a Map or List constrains its leaves only
    return _check_leaf(matcher, expected, actual, cascaded)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _check_type(matcher: Matcher, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if json_type(expected) != json_type(actual):
        return (
            f"Expected {show(actual)!r} ({json_type(actual)}) to be the same type as "
            f"{show(expected)!r} ({json_type(expected)})"
        )
    if cascaded or not isinstance(actual, list | dict):
        return None
    low, high = matcher.get("min"), matcher.get("max")
    if isinstance(low, int) and len(actual) < low:
        return f"Expected {show(actual)!r} to have at least {low} item(s)"
    if isinstance(high, int) and len(actual) > high:
        return f"Expected {show(actual)!r} to have at most {high} item(s)"
    return None


def _check_leaf(matcher: Matcher, expected: Any, actual: Any, cascaded: bool) -> str | None:
    kind = matcher.kind
    text = show(actual) if actual is not None else "null"
    if kind == "regex":
        pattern = str(matcher.get("regex"))
        if isinstance(actual, dict | list) or re.fullmatch(pattern, text) is None:
            return f"Expected {text!r} to match {pattern!r}"
        return None
    if kind == "include":
        needle = str(matcher.get("value", ""))
        return None if needle in text else f"Expected {text!r} to include {needle!r}"
    if kind == "integer":
        return None if is_integer(actual) else f"Expected {text!r} to be an integer value"
    if kind == "decimal":
        return None if isinstance(actual, float) else f"Expected {text!r} to be a decimal value"
    if kind == "number":
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
        return None if ok else f"Expected {text!r} to be a number"
    if kind == "null":
        return None if actual is None else f"Expected {text!r} to be a null value"
    if kind == "boolean":
        ok = isinstance(actual, bool) or actual in ("true", "false")
        return None if ok else f"Expected {text!r} to match a boolean"
    if kind in ("date", "time", "timestamp"):
        if not isinstance(actual, str):
            return f"Expected {text!r} to be a {kind} string"
        pattern = matcher.get("format") or matcher.get(kind)
        return datetimes.check(kind, actual, pattern if isinstance(pattern, str) else None)
    if kind == "notEmpty":
        empty = actual is None or actual in ("", [], {})
        return f"Expected {text!r} to not be empty" if empty else None
    if kind == "semver":
        ok = isinstance(actual, str) and _SEMVER.fullmatch(actual) is not None
        return None if ok else f"Expected {text!r} to be a semantic version"
    if kind == "contentType":
        return check_content_type(str(matcher.get("value", "")), actual)
    if kind == "statusCode":
        return _check_status(matcher.get("status"), actual)
    return None  # arrayContains, eachKey, eachValue work on containers: see body.py


def sniff_content_type(value: Any) -> str:
    """A best guess at the media type of a body value (JSON, XML or plain text)."""
    if isinstance(value, dict | list | int | float | bool) or value is None:
        return "application/json"
    stripped = str(value).lstrip()
    if stripped.startswith("<"):
        return "application/xml"
    try:
        json.loads(stripped)
    except ValueError:
        return "text/plain"
    return "application/json"


def check_content_type(expected_type: str, actual: Any) -> str | None:
    """The contentType matcher, for the media types we can recognise from the value itself."""
    declared = expected_type.split(";")[0].strip().lower()
    found = sniff_content_type(actual)
    family = {"json": "application/json", "xml": "application/xml"}
    suffix = declared.rsplit("+", 1)[-1] if "+" in declared else declared.rsplit("/", 1)[-1]
    wanted = family.get(suffix, declared)
    if wanted == found or (found == "text/plain" and declared.startswith("text/")):
        return None
    return f"Expected data to have a content type of {expected_type!r} but it looks like {found!r}"


def _check_status(status: Any, actual: Any) -> str | None:
    if not is_integer(actual):
        return f"Expected a status code but found {show(actual)!r}"
    allowed = status if isinstance(status, list) else _STATUS_CLASSES.get(str(status), [])
    return None if actual in allowed else f"Expected status code {actual} to be a {status}"
