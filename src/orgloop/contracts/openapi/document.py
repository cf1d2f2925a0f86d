"""A loaded OpenAPI document: ``$ref`` resolution, memoised, and structural fingerprints.

Refs are normalised by the loader: refs into the root file read ``#/pointer``, refs into any
other file read ``/absolute/file#/pointer``, so resolving one never needs the referencing file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from orgloop.contracts.errors import spec_error

SUPPORTED_VERSIONS = ("3.0", "3.1")


class Document:
    """The root object of a document plus every file its refs reach, keyed by absolute path."""

    def __init__(self, root: dict[str, Any], *, source: str, files: dict[str, Any]) -> None:
        self.root = root
        self.source = source
        self.files = files
        self.version = str(root.get("openapi", ""))
        self._targets: dict[str, Any] = {}
        self._fingerprints: dict[int, int] = {}
        self._active: set[str] = set()

    @property
    def is_31(self) -> bool:
        return self.version.startswith("3.1")

    def target(self, ref: str) -> Any:
        """The node a normalised ref points at (memoised); raises SpecInvalid when missing."""
        found = self._targets.get(ref, _MISSING)
        if found is _MISSING:
            found = self._lookup(ref)
            self._targets[ref] = found
        return found

    def deref(self, node: Any) -> Any:
        """Follow a chain of ``$ref`` objects to the first node that is not a reference."""
        seen: set[str] = set()
        while isinstance(node, dict):
            ref = node.get("$ref")
            if not isinstance(ref, str):
                return node
            if ref in seen:
                raise spec_error(self.source, "", f"$ref cycle with no content: {ref}")
            seen.add(ref)
            node = self.target(ref)
        return node

    def fingerprint(self, node: Any) -> int:
        """A hash of the subtree with refs followed; equal fingerprints mean equal content."""
        if isinstance(node, dict):
            key = id(node)
            cached = self._fingerprints.get(key)
            if cached is None:
                cached = self._dict_fingerprint(node)
                self._fingerprints[key] = cached
            return cached
        if isinstance(node, list):
            key = id(node)
            cached = self._fingerprints.get(key)
            if cached is None:
                cached = hash(tuple(self.fingerprint(item) for item in node))
                self._fingerprints[key] = cached
            return cached
        # bool is tagged so that `true` and `1` do not look alike
        return hash((type(node).__name__, node))

    def _dict_fingerprint(self, node: dict[str, Any]) -> int:
        ref = node.get("$ref")
        items = sorted(node.items()) if len(node) > 1 else list(node.items())
        if not isinstance(ref, str):
            return hash(tuple((k, self.fingerprint(v)) for k, v in items))
        if ref in self._active:
            # a recursive schema: the name stands for the content already being hashed
            return hash(("$ref", ref))
        self._active.add(ref)
        try:
            inner = self.fingerprint(self.target(ref))
        finally:
            self._active.discard(ref)
        rest = tuple((k, self.fingerprint(v)) for k, v in items if k != "$ref")
        return hash(("$ref", inner, rest))

    def _lookup(self, ref: str) -> Any:
        file_part, _, pointer = ref.partition("#")
        node = self.files.get(file_part or self.source, _MISSING)
        if node is _MISSING:
            raise spec_error(self.source, "", f"unresolvable $ref {ref!r}: file not loaded")
        for token in _pointer_tokens(pointer):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise spec_error(self.source, "", f"unresolvable $ref {ref!r}")
        return node


def _pointer_tokens(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    parts = unquote(pointer).lstrip("/").split("/")
    return [p.replace("~1", "/").replace("~0", "~") for p in parts]


def escape(token: str) -> str:
    """One JSON-pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def ref_name(node: Any) -> str | None:
    """The last segment of a ``$ref`` (the component name), or None for inline schemas."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
    return None


_MISSING: Any = object()
