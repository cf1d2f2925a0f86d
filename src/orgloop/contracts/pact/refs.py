"""Local ``$ref`` resolution in an OpenAPI document (``#/components/schemas/Pet`` and the like).

References are followed lazily, node by node, so recursive schemas need no special handling;
only references inside the same document are followed (a remote reference is reported, never
fetched).
"""

from __future__ import annotations

from typing import Any

MAX_HOPS = 64


class RefError(ValueError):
    """A reference that cannot be followed: remote, missing or circular."""


def pointer_get(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (``/components/schemas/Pet``), decoding ``~0`` and ``~1``."""
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise RefError(f"#{pointer} does not exist in the document")
    return node


def deref(document: Any, node: Any) -> Any:
    """``node`` itself, or what its ``$ref`` chain points to."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise RefError(f"{ref} is not a local reference; only '#/...' references are followed")
        if ref in seen or len(seen) >= MAX_HOPS:
            raise RefError(f"{ref} is a circular reference")
        seen.add(ref)
        node = pointer_get(document, ref[1:])
    return node
