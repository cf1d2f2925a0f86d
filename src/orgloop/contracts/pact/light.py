"""The light contract: the operations and response fields of an API version a consumer uses.

For teams that do not write Pact tests, a consumer declares what it relies on::

    consumer: checkout
    provider: pets
    api: pets-api
    uses:
      - operation: GET /pets/{id}
        fields: [id, name, tags[].name]
      - operation: POST /pets
        status: 201            # optional; the lowest documented 2xx response by default
        fields: [id]

``check_light`` reports every operation the OpenAPI document lacks and every field its success
response schema does not declare. ``tags[].name`` means "the name of each item of tags".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orgloop.contracts.pact.errors import PactTooLarge, invalid
from orgloop.contracts.pact.operations import METHODS
from orgloop.contracts.pact.refs import RefError, deref
from orgloop.contracts.pact.schema import declared_properties, items_schema, property_schema
from orgloop.kernel import yamlguard

MAX_BYTES = 1024 * 1024
MAX_USES = 1_000
_FIELD = re.compile(r"(?:[^.\[\]]+(?:\[\])*|(?:\[\])+)(?:\.[^.\[\]]+(?:\[\])*)*")


@dataclass(frozen=True)
class Use:
    method: str
    template: str
    fields: tuple[str, ...] = ()
    status: str | None = None

    @property
    def operation(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class LightContract:
    consumer: str
    provider: str
    api: str
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class LightProblem:
    """An operation (``GET /pets/{id}``) or one of its fields the document does not provide."""

    operation: str
    field: str | None
    message: str


def parse_light(document: str | bytes | dict[str, Any], *, max_bytes: int = MAX_BYTES) -> LightContract:  # fmt: skip
    """Read a light contract from YAML (or JSON) text or an already-loaded mapping."""
    if not isinstance(document, dict):
        size = len(document.encode() if isinstance(document, str) else document)
        if size > max_bytes:
            raise PactTooLarge(f"the contract is {size} bytes; the limit is {max_bytes}")
        try:
            text = document if isinstance(document, str) else document.decode("utf-8")
            document = yamlguard.load(text)  # bounded: a "billion laughs" is refused
        except UnicodeDecodeError:
            raise invalid("$", "not UTF-8 text") from None
        except yamlguard.YamlRefused as exc:
            at = f" ({exc.path})" if exc.path else ""
            raise invalid("$", f"not valid YAML{at}: {exc}") from None
    if not isinstance(document, dict):
        raise invalid("$", "a light contract must be a mapping")
    names = {key: _text(document, key) for key in ("consumer", "provider", "api")}
    uses = document.get("uses")
    if not isinstance(uses, list) or not uses:
        raise invalid("$.uses", "must be a non-empty list of {operation, fields}")
    if len(uses) > MAX_USES:
        raise PactTooLarge(f"the contract lists {len(uses)} operations; the limit is {MAX_USES}")
    parsed = tuple(_use(item, f"$.uses[{i}]") for i, item in enumerate(uses))
    return LightContract(names["consumer"], names["provider"], names["api"], parsed)


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"$.{key}", "is required and must be a non-empty string")
    return value.strip()


def _use(item: Any, where: str) -> Use:
    if not isinstance(item, dict):
        raise invalid(where, "must be a mapping with 'operation' and 'fields'")
    operation = item.get("operation")
    parts = operation.split() if isinstance(operation, str) else []
    if len(parts) != 2 or parts[0].lower() not in METHODS or not parts[1].startswith("/"):
        raise invalid(f"{where}.operation", "must read 'METHOD /path/{param}', e.g. 'GET /pets/{id}'")  # fmt: skip
    fields = item.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise invalid(f"{where}.fields", "must be a list of field paths such as 'tags[].name'")
    for index, name in enumerate(fields):
        if _FIELD.fullmatch(name) is None:
            raise invalid(f"{where}.fields[{index}]", f"{name!r} is not a field path such as 'tags[].name'")  # fmt: skip
    status = item.get("status")
    if status is not None and not re.fullmatch(r"[1-5](\d\d|XX)|default", str(status)):
        raise invalid(f"{where}.status", "must be a status code such as 200, 2XX or default")
    return Use(parts[0].upper(), parts[1], tuple(fields), None if status is None else str(status))


def check_light(contract: LightContract, document: dict[str, Any]) -> list[LightProblem]:
    """Every operation and field of ``contract`` that the OpenAPI ``document`` does not provide."""
    problems: list[LightProblem] = []
    for use in contract.uses:
        try:
            problems += _check_use(use, document)
        except RefError as exc:
            problems.append(LightProblem(use.operation, None, str(exc)))
    return problems


def _shape(template: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", template.rstrip("/") or "/")


def _check_use(use: Use, document: dict[str, Any]) -> list[LightProblem]:
    paths = document.get("paths") or {}
    template = next((t for t in paths if _shape(t) == _shape(use.template)), None)
    if template is None:
        return [LightProblem(use.operation, None, f"the document has no path {use.template}")]
    item = deref(document, paths[template])
    spec = item.get(use.method.lower()) if isinstance(item, dict) else None
    if not isinstance(spec, dict):
        return [LightProblem(use.operation, None, f"{template} has no {use.method} operation")]
    if not use.fields:
        return []
    schema = _success_schema(spec, use.status, document)
    if isinstance(schema, str):
        return [LightProblem(use.operation, None, schema)]
    return [
        LightProblem(use.operation, name, message)
        for name in use.fields
        if (message := field_problem(name, schema, document)) is not None
    ]


def _success_schema(spec: dict[str, Any], status: str | None, document: Any) -> Any:
    responses = spec.get("responses") or {}
    if status is None:
        codes = sorted(str(k) for k in responses if str(k).startswith("2"))
        status = codes[0] if codes else None
    if status is None or status not in {str(k) for k in responses}:
        return f"the operation documents no {'success' if status is None else status} response"
    response = deref(document, {str(k): v for k, v in responses.items()}[status])
    content = response.get("content") if isinstance(response, dict) else None
    if not isinstance(content, dict) or not content:
        return f"the {status} response documents no body, so it has no fields"
    json_like = [v for k, v in content.items() if "json" in k.lower()] or list(content.values())
    media = json_like[0]
    return media.get("schema") if isinstance(media, dict) else None


def field_problem(name: str, schema: Any, document: Any) -> str | None:
    """None when the schema declares the field path ``name`` (``tags[].name``), else why not."""
    walked: list[str] = []
    current = schema
    for segment in name.split("."):
        prop, arrays = segment.split("[", 1)[0], segment.count("[]")
        if not prop:  # "[].name": the body itself is an array
            current, walked = _items(current, document, walked, segment, arrays)
            if isinstance(current, str):
                return current
            continue
        try:
            names, open_ended = declared_properties(current, document)
        except RefError as exc:
            return str(exc)
        if prop not in names and not open_ended:
            where = ".".join(walked) or "the response body"
            return f"{prop!r} is not declared in {where}"
        current = property_schema(current, document, prop)
        walked.append(segment)
        current, walked = _items(current, document, walked[:-1], segment, arrays)
        if isinstance(current, str):
            return current
    return None


def _items(schema: Any, document: Any, walked: list[str], segment: str, arrays: int) -> tuple[Any, list[str]]:  # fmt: skip
    """The item schema ``arrays`` levels down, or a message (a ``str``) if one is not an array."""
    walked = [*walked, segment]
    for _ in range(arrays):
        resolved = deref(document, schema) if schema is not None else None
        if not isinstance(resolved, dict) or resolved.get("type") not in ("array", None):
            return f"{'.'.join(walked)} is not an array in the schema", walked
        schema = items_schema(schema, document)
    return schema, walked
