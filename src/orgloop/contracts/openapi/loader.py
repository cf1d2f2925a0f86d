"""Read OpenAPI documents from files: safe YAML or JSON, size limits, local ``$ref`` files.

URLs are never fetched: a ``$ref`` to ``http(s)://`` is an error. Refs are checked once at load
time so that the diff never meets a dangling one; errors name the file and the JSON pointer.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from orgloop.contracts.errors import SpecInvalid, SpecTooLarge, spec_error
from orgloop.contracts.openapi.document import SUPPORTED_VERSIONS, Document, escape
from orgloop.kernel import yamlguard
from orgloop.kernel.yamlguard import YamlLimits, YamlRefused

try:
    import orjson
except ImportError:  # optional: the standard library parser is used without it
    orjson = None  # type: ignore[assignment]

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_FILES = 256
# A "$ref" member with a string value in JSON text.
_REF_MEMBER = re.compile(r'"\$ref"\s*:\s*"((?:[^"\\]|\\.)*)"')


YAML_LIMITS = YamlLimits(aliases=10_000)
"""OpenAPI documents reuse anchors more than descriptors do; the expanded size stays bounded."""


def load_yaml_text(text: str, source: str) -> Any:
    """A YAML document through the kernel's bounded reader: YAML 1.2 scalars (dates such as
    ``x-sunset`` stay strings), bounded alias expansion (a "billion laughs" is refused)."""
    try:
        return yamlguard.load(text, limits=YAML_LIMITS)
    except YamlRefused as err:
        where = f" at line {err.line}" if err.line else ""
        at = f" ({err.path})" if err.path else ""
        raise spec_error(source, "", f"invalid YAML{where}{at}: {err.message}") from None


def load_document(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Load an OpenAPI 3.0/3.1 file and every local file its refs reach."""
    main = str(Path(path).resolve())
    files: dict[str, Any] = {}
    queue = [main]
    refs: set[str] = set()
    total = 0
    while queue:
        current = queue.pop()
        if current in files:
            continue
        if len(files) >= MAX_FILES:
            raise SpecTooLarge(f"{main}: refers to more than {MAX_FILES} files")
        data, size, local_refs = _read(current, max_bytes)
        total += size
        if total > 4 * max_bytes:
            raise SpecTooLarge(f"{main}: the referenced files exceed {4 * max_bytes} bytes")
        files[current] = data
        # Refs already in normal form (``#/...`` in the main JSON file) need no rewriting walk.
        found = (
            local_refs
            if local_refs is not None and current == main
            else _normalise_refs(data, current, main)
        )
        refs |= found
        queue.extend(f for f in {r.partition("#")[0] for r in found} if f and f not in files)
    return build_document(files[main], source=main, files=files, refs=refs)


def parse_document(data: Any, *, source: str = "<memory>") -> Document:
    """A document from an already parsed object; only refs inside it are allowed."""
    refs = _normalise_refs(data, source, source)
    return build_document(data, source=source, files={source: data}, refs=refs)


def build_document(data: Any, *, source: str, files: dict[str, Any], refs: set[str]) -> Document:
    """Validate the top level, check every ref resolves, and wrap the result."""
    _validate_root(data, source)
    document = Document(data, source=source, files=files)
    for ref in sorted(refs):
        file_part = ref.partition("#")[0]
        if file_part and file_part not in files:
            raise spec_error(*_locate(files, ref), f"unresolvable $ref {ref!r}: no such file")
        try:
            document.target(ref)
        except SpecInvalid as err:
            raise spec_error(*_locate(files, ref), f"unresolvable $ref {ref!r}") from err
    return document


def _validate_root(data: Any, source: str) -> None:
    if not isinstance(data, dict):
        raise spec_error(source, "", "an OpenAPI document must be an object")
    version = data.get("openapi")
    if version is None:
        hint = " (Swagger 2.0 is not supported)" if "swagger" in data else ""
        raise spec_error(source, "/openapi", f"missing 'openapi' version{hint}")
    if not isinstance(version, str) or not version.startswith(SUPPORTED_VERSIONS):
        raise spec_error(source, "/openapi", f"unsupported OpenAPI version {version!r}")
    paths = data.get("paths")
    if paths is None and not (version.startswith("3.1") and "webhooks" in data):
        raise spec_error(source, "/paths", "missing 'paths'")
    if paths is not None and not isinstance(paths, dict):
        raise spec_error(source, "/paths", "'paths' must be an object")


def _read(path: str, max_bytes: int) -> tuple[Any, int, set[str] | None]:
    """The parsed file, its size and, for JSON whose refs all point inside it, those refs."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise SpecTooLarge(f"{path}: {size} bytes is over the limit of {max_bytes}")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise spec_error(path, "", f"cannot read file: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise spec_error(path, "", "file is not UTF-8 text") from err
    data, refs = _parse(text, path)
    return data, size, refs


def _parse(text: str, path: str) -> tuple[Any, set[str] | None]:
    if text.lstrip().startswith(("{", "[")):
        try:
            return _loads(text), _local_refs(text)
        except json.JSONDecodeError as err:
            if path.endswith(".json"):
                raise spec_error(path, "", f"invalid JSON at line {err.lineno}: {err.msg}") from err
    return load_yaml_text(text, path), None


def _normalise_refs(data: Any, current: str, main: str) -> set[str]:
    """Rewrite every ``$ref`` to its normalised form in place; returns the refs seen.

    Also turns non-string mapping keys (YAML ``200:``) into strings, as JSON would have them.
    YAML aliases can share subtrees, so containers are visited once.
    """
    base_dir = os.path.dirname(current)
    refs: set[str] = set()
    seen: set[int] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            if any(not isinstance(k, str) for k in node):
                fixed = {str(k): v for k, v in node.items()}
                node.clear()
                node.update(fixed)
            ref = node.get("$ref")
            if isinstance(ref, str):
                if "://" in ref.partition("#")[0] or ref.startswith("//"):
                    file, where = _locate({current: data}, ref)
                    raise spec_error(file, where, f"remote $ref {ref!r} is not fetched")
                node["$ref"] = ref = _normal_ref(ref, base_dir, current, main)
                refs.add(ref)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(v for v in node if isinstance(v, dict | list))
    return refs


def _loads(text: str) -> Any:
    """JSON with orjson when it is installed (several times faster on large documents)."""
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # the standard parser accepts a little more (NaN, big integers) and says where
    return json.loads(text)


def _local_refs(text: str) -> set[str] | None:
    """Every ``$ref`` of a JSON text when all point inside the document (``#...``), found by
    scanning the text instead of walking the parsed tree; None when another kind needs the
    rewriting walk. Quotes inside JSON strings are escaped, so a match is a real member."""
    refs = set()
    for raw in _REF_MEMBER.findall(text):
        ref = json.loads(f'"{raw}"') if "\\" in raw else raw
        if not ref.startswith("#"):
            return None
        refs.add(ref)
    return refs


def _normal_ref(ref: str, base_dir: str, current: str, main: str) -> str:
    file_part, hashmark, pointer = ref.partition("#")
    target = current
    if file_part:
        target = os.path.normpath(os.path.join(base_dir, file_part))
    frag = pointer if hashmark else ""
    return f"#{frag}" if target == main else f"{target}#{frag}"


def _locate(files: dict[str, Any], ref: str) -> tuple[str, str]:
    """The file and JSON pointer of the first ``$ref`` equal to ``ref``; slow, errors only."""
    for name, data in files.items():
        stack: list[tuple[Any, str]] = [(data, "")]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                if node.get("$ref") == ref:
                    return name, f"{where}/$ref"
                stack.extend((v, f"{where}/{escape(k)}") for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((v, f"{where}/{i}") for i, v in enumerate(node))
    return next(iter(files)), ""
