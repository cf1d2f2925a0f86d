"""Versions of a resource for writers that could overwrite each other: ``ETag`` and ``If-Match``.

A ``GET`` answers the resource's ``ETag`` (a digest of what it returns); a ``PUT`` or ``PATCH`` that
sends it back in ``If-Match`` is applied only if the resource is still that version, checked in
the write transaction, else 412 (``PreconditionFailed``). A write without ``If-Match`` is not
checked: last writer wins, as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from orgloop.kernel.errors import PreconditionFailed


def etag_of(value: Any) -> str:
    """A strong ETag of a wire model (or of JSON-able data): the same content, the same tag."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32] + '"'


def check_if_match(if_match: str | None, tag: str | None, *, what: str) -> None:
    """Refuse the write (412) unless ``If-Match`` is absent, ``*`` or names ``tag``, the
    resource's ETag now (None: it does not exist, so only an absent ``If-Match`` passes)."""
    if if_match is None:
        return
    if tag is None:
        raise PreconditionFailed(f"{what} does not exist; send the first version without If-Match")
    sent = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" in sent or tag in sent:
        return
    raise PreconditionFailed(
        f"{what} changed since it was read (If-Match {if_match.strip()}); "
        f"read it again (its ETag is now {tag}) and send the change with that",
        details={"etag": tag},
    )
