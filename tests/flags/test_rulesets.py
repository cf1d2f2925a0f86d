"""An environment's ruleset is read once per change heard, never served stale after one."""

from __future__ import annotations

from typing import Any

from orgloop.flags.events import FlagsChanged
from orgloop.flags.rulesets import MAX_AGE, RulesetCache


class Database:
    """Counts reads; ``version`` stands for what is stored."""

    def __init__(self) -> None:
        self.version = 1
        self.reads = 0
        self.during_read: Any = None  # called in the middle of a read

    def read(self, environment: str) -> tuple[dict[str, Any], str]:
        self.reads += 1
        seen = self.version
        if self.during_read is not None:
            self.during_read()
        return {"environment": environment, "version": seen}, f'"{environment}-{seen}"'


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_read_per_change_per_environment() -> None:
    db, clock = Database(), Clock()
    cache = RulesetCache(db.read, clock=clock)
    for _ in range(50):
        assert cache.get("production")[1] == '"production-1"'
        assert cache.get("staging")[1] == '"staging-1"'
    assert db.reads == 2
    db.version = 2
    cache.on_flags_changed(FlagsChanged(key="checkout", environments=("production",)))
    assert cache.get("production")[1] == '"production-2"'
    assert cache.get("staging")[1] == '"staging-2"'  # every environment is read again
    assert db.reads == 4


def test_a_read_overtaken_by_a_change_is_not_kept() -> None:
    """The read saw version 1; the change to version 2 was heard before it finished: the next
    caller must read again rather than get version 1 from the cache."""
    db, clock = Database(), Clock()
    cache = RulesetCache(db.read, clock=clock)

    def change() -> None:
        db.version = 2
        cache.on_flags_changed(FlagsChanged(key="checkout", environments=()))

    db.during_read = change
    assert cache.get("production")[0]["version"] == 1  # what that read saw
    db.during_read = None
    assert cache.get("production")[0]["version"] == 2
    assert db.reads == 2


def test_a_change_nobody_announced_shows_within_max_age() -> None:
    db, clock = Database(), Clock()
    cache = RulesetCache(db.read, clock=clock)
    cache.get("production")
    db.version = 2  # written by another process, no announcement
    clock.now += MAX_AGE - 0.1
    assert cache.get("production")[0]["version"] == 1
    clock.now += 0.2
    assert cache.get("production")[0]["version"] == 2
