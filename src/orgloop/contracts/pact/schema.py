"""Just enough JSON Schema (OpenAPI 3.0 and 3.1 flavours) to check contract examples.

``validate`` lists where a value breaks a schema; ``undeclared`` lists the object properties a
value uses that the schema never declares, which a consumer would be relying on even though the
provider has not promised them. Both return ``(path, message)`` pairs with paths like
``$.body.tags[0].name``.
"""

from __future__ import annotations

import re
from typing import Any

from orgloop.contracts.pact.refs import RefError, deref

Problem = tuple[str, str]
MAX_DEPTH = 64
_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][\w-]*", key) else f"{path}['{key}']"


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or [])
    if types and schema.get("nullable") is True:
        types.append("null")
    return [str(t) for t in types]


def validate(value: Any, schema: Any, document: Any, path: str = "$", depth: int = 0) -> list[Problem]:  # fmt: skip
    """Where ``value`` breaks ``schema``; ``document`` is used to follow ``$ref``s."""
    if depth > MAX_DEPTH:
        return [(path, "the schema is nested too deeply to check")]
    try:
        schema = deref(document, schema)
    except RefError as exc:
        return [(path, str(exc))]
    if schema is False:
        return [(path, "no value is allowed here")]
    if not isinstance(schema, dict):
        return []
    types = _types(schema)
    if types and not any(_TYPE_CHECKS.get(t, lambda v: True)(value) for t in types):
        return [(path, f"expected {' or '.join(types)} but found {_kind(value)}")]
    if value is None and "null" in types:
        return []
    problems = _keywords(value, schema, path)
    problems += _combinators(value, schema, document, path, depth)
    if isinstance(value, dict):
        problems += _object(value, schema, document, path, depth)
    if isinstance(value, list):
        problems += _array(value, schema, document, path, depth)
    return problems


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPE_CHECKS[name](value):
            return name
    return type(value).__name__


def _keywords(value: Any, schema: dict[str, Any], path: str) -> list[Problem]:
    out: list[Problem] = []
    if "enum" in schema and value not in schema["enum"]:
        out.append((path, f"{value!r} is not one of {schema['enum']}"))
    if "const" in schema and value != schema["const"]:
        out.append((path, f"{value!r} is not {schema['const']!r}"))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            out.append((path, f"is shorter than {schema['minLength']} characters"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append((path, f"is longer than {schema['maxLength']} characters"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and _search(pattern, value) is False:
            out.append((path, f"{value!r} does not match the pattern {pattern!r}"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append((path, f"{value} is less than the minimum {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            out.append((path, f"{value} is more than the maximum {schema['maximum']}"))
    return out


def _search(pattern: str, value: str) -> bool | None:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return None  # an ECMA-only pattern Python cannot read: not a contract problem


def _combinators(value: Any, schema: dict[str, Any], document: Any, path: str, depth: int) -> list[Problem]:  # fmt: skip
    out: list[Problem] = []
    for sub in schema.get("allOf", []):
        out += validate(value, sub, document, path, depth + 1)
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if not options:
            continue
        results = [validate(value, sub, document, path, depth + 1) for sub in options]
        passing = sum(1 for r in results if not r)
        if passing == 0:
            best = min(results, key=len)
            out.append((path, f"matches none of the {keyword} schemas"))
            out += best
        elif keyword == "oneOf" and passing > 1 and not _has_discriminator(schema):
            out.append((path, f"matches {passing} of the oneOf schemas, exactly one is allowed"))
    return out


def _has_discriminator(schema: dict[str, Any]) -> bool:
    # With a discriminator the provider picks the branch by a property; overlap is expected.
    return isinstance(schema.get("discriminator"), dict)


def _object(value: dict[str, Any], schema: dict[str, Any], document: Any, path: str, depth: int) -> list[Problem]:  # fmt: skip
    out: list[Problem] = []
    properties = schema.get("properties") or {}
    for name in schema.get("required", []):
        if name not in value:
            out.append((_child(path, name), "is required by the schema but missing"))
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            out += validate(item, properties[key], document, _child(path, key), depth + 1)
        elif extra is False:
            out.append((_child(path, key), "is not allowed by the schema (additionalProperties: false)"))  # fmt: skip
        elif isinstance(extra, dict):
            out += validate(item, extra, document, _child(path, key), depth + 1)
    return out


def _array(value: list[Any], schema: dict[str, Any], document: Any, path: str, depth: int) -> list[Problem]:  # fmt: skip
    out: list[Problem] = []
    if len(value) < schema.get("minItems", 0):
        out.append((path, f"has fewer than {schema['minItems']} items"))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append((path, f"has more than {schema['maxItems']} items"))
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            out += validate(item, items, document, _child(path, index), depth + 1)
    return out


def declared_properties(schema: Any, document: Any, depth: int = 0) -> tuple[set[str], bool]:
    """The property names a schema declares (through allOf/anyOf/oneOf too), and whether it is
    open-ended (``additionalProperties`` given as a schema, so any name is a promise)."""
    try:
        schema = deref(document, schema)
    except RefError:
        return set(), True
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return set(), True
    names = set((schema.get("properties") or {}).keys())
    open_ended = isinstance(schema.get("additionalProperties"), dict)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            sub_names, sub_open = declared_properties(sub, document, depth + 1)
            names |= sub_names
            open_ended = open_ended or sub_open
    if not names and not any(k in schema for k in ("properties", "allOf", "anyOf", "oneOf")):
        open_ended = open_ended or "type" not in schema  # a schema that says nothing
    return names, open_ended


def property_schema(schema: Any, document: Any, name: str, depth: int = 0) -> Any:
    """The schema of property ``name`` (looked up through allOf/anyOf/oneOf), or None."""
    try:
        schema = deref(document, schema)
    except RefError:
        return None
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    properties = schema.get("properties") or {}
    if name in properties:
        return properties[name]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            found = property_schema(sub, document, name, depth + 1)
            if found is not None:
                return found
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def items_schema(schema: Any, document: Any) -> Any:
    try:
        schema = deref(document, schema)
    except RefError:
        return None
    return schema.get("items") if isinstance(schema, dict) else None


def undeclared(value: Any, schema: Any, document: Any, path: str = "$", depth: int = 0) -> list[Problem]:  # fmt: skip
    """Object properties in ``value`` that the schema does not declare anywhere."""
    if depth > MAX_DEPTH or schema is None:
        return []
    out: list[Problem] = []
    if isinstance(value, dict):
        names, open_ended = declared_properties(schema, document)
        for key, item in value.items():
            if key not in names and not open_ended:
                out.append((_child(path, key), "is not declared in the provider's schema"))
                continue
            sub = property_schema(schema, document, key)
            out += undeclared(item, sub, document, _child(path, key), depth + 1)
    elif isinstance(value, list):
        items = items_schema(schema, document)
        for index, item in enumerate(value):
            out += undeclared(item, items, document, _child(path, index), depth + 1)
    return out
