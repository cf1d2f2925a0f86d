"""A bounded, thread-safe least-recently-used map for results computed from stored content.

Documents and contracts are stored under the sha256 of their content, so anything computed from
them (a parsed contract, a diff between two documents, a contract checked against a document)
can be kept under the digests it came from and never goes stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar, cast

T = TypeVar("T")
_MISSING: Any = object()


class Memo:
    """Keys are tuples of digests (and a tag); a key with an empty part is never kept."""

    def __init__(self, *, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, default: T) -> T:
        with self._lock:
            found = self._items.get(key, _MISSING)
            if found is _MISSING:
                return default
            self._items.move_to_end(key)
            return cast(T, found)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        """The cached values of ``keys``; absent ones are left out."""
        with self._lock:
            found = {}
            for key in keys:
                value = self._items.get(key, _MISSING)
                if value is not _MISSING:
                    self._items.move_to_end(key)
                    found[key] = value
            return found

    def compute(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        """The value kept under ``key``, or ``make()`` (kept unless a part of the key is empty).

        ``make`` runs outside the lock: two threads may both compute a missing value, which is
        harmless because the results are equal.
        """
        if not all(key):
            return make()
        found = self.get(key, _MISSING)
        if found is not _MISSING:
            return cast(T, found)
        value = make()
        self.put(key, value)
        return value
