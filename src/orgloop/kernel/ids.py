"""Identifiers are an edge too: random in production, predictable in tests."""

from __future__ import annotations

import itertools
import secrets
from typing import Protocol


class IdFactory(Protocol):
    def new(self, prefix: str) -> str: ...


class RandomIds:
    def new(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"


class SequentialIds:
    """``team_1``, ``team_2``, ... : readable ids for tests."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter)}"
