"""Saved groups: named lists of attribute values that many flags' ``$inGroup`` rules share.

A group is owned by a team (only it, or an admin, changes it), audited like a flag, and cannot be
deleted while a flag rule still names it. Changing a group's values changes the ruleset of every
environment whose rules name it, so the flags that use it are announced as ``FlagsChanged``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgloop.flags import store
from orgloop.flags.events import FlagsChanged
from orgloop.flags.groups import users_of
from orgloop.flags.models import SavedGroup, SavedGroupCreate, SavedGroupPage, SavedGroupUpdate
from orgloop.kernel import etags
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import Conflict, NotFound


class SavedGroupService:
    def __init__(
        self,
        *,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        bus: EventBus,
        team: Callable[[str], str],
    ) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._bus = bus
        self._team = team

    def list_groups(
        self, *, owner: str | None = None, limit: int = 100, offset: int = 0
    ) -> SavedGroupPage:
        owner_ref = self._team(owner) if owner else None
        with self._db.reading() as session:
            groups = [store.group_to_model(r) for r in store.all_groups(session, owner=owner_ref)]
        return SavedGroupPage.of(groups, limit=limit, offset=offset)

    def get_group(self, key: str) -> SavedGroup:
        with self._db.reading() as session:
            row = store.get_group(session, key)
            if row is None:
                raise _not_found(key)
            return store.group_to_model(row)

    def create_group(self, request: SavedGroupCreate, *, actor: Principal) -> SavedGroup:
        owner = self._team(request.owner)
        actor.require_write(owner=owner, what=f"saved group {request.key}")
        now = self._clock.now()
        group = SavedGroup(
            key=request.key,
            owner=owner,
            description=request.description,
            values=_unique(request.values),
            created_at=now,
            updated_at=now,
        )
        with self._db.transaction() as session:
            if store.get_group(session, request.key) is not None:
                raise Conflict(
                    f"saved group {request.key!r} already exists", details={"key": request.key}
                )
            store.add_group(session, group)
            self._record(session, actor, "saved_group.create", group.key, None, group)
        return group

    def update_group(
        self,
        key: str,
        request: SavedGroupUpdate,
        *,
        actor: Principal,
        if_match: str | None = None,
    ) -> SavedGroup:
        """``if_match``: the group's ETag as read (412 if it changed since); None: not checked."""
        owner = self._team(request.owner)
        with self._db.transaction() as session:
            row, before = self._locked(session, key, actor)
            etags.check_if_match(if_match, group_etag(before), what=f"saved group {key}")
            actor.require_write(owner=owner, what=f"saved group {key}")
            after = before.model_copy(
                update={
                    "owner": owner,
                    "description": request.description,
                    "values": _unique(request.values),
                    "updated_at": self._clock.now(),
                }
            )
            store.save_group(row, after)
            self._record(session, actor, "saved_group.update", key, before, after)
            users = users_of(key, [store.to_model(r) for r in store.all_flags(session)])
            for flag, environments in users.items():
                event = FlagsChanged(key=flag, environments=tuple(environments))
                self._bus.announce(session, event)
        return after

    def delete_group(self, key: str, *, actor: Principal) -> None:
        with self._db.transaction() as session:
            row, before = self._locked(session, key, actor)
            users = users_of(key, [store.to_model(r) for r in store.all_flags(session)])
            if users:
                names = ", ".join(f"{flag} ({', '.join(envs)})" for flag, envs in users.items())
                raise Conflict(
                    f"saved group {key!r} is used by flag rules: {names}; change those first",
                    details={"flags": sorted(users)},
                )
            store.delete(session, row)
            self._record(session, actor, "saved_group.delete", key, before, None)

    def _locked(self, session: Any, key: str, actor: Principal) -> tuple[Any, SavedGroup]:
        """The group's row, locked for this transaction, and the group; the actor must own it."""
        row = store.get_group(session, key, for_update=True)
        if row is None:
            raise _not_found(key)
        group = store.group_to_model(row)
        actor.require_write(owner=group.owner, what=f"saved group {key}")
        return row, group

    def _record(
        self,
        session: Any,
        actor: Principal,
        action: str,
        key: str,
        before: SavedGroup | None,
        after: SavedGroup | None,
    ) -> None:
        self._audit.record(
            session,
            actor=actor,
            action=action,
            kind="saved_group",
            ref=key,
            before=before,
            after=after,
        )


def _unique(values: list[Any]) -> list[str | int | float]:
    """Duplicates once, first occurrence first (``1`` and ``1.0`` are one value, as in JSON)."""
    seen: set[tuple[bool, Any]] = set()
    kept: list[str | int | float] = []
    for value in values:
        marker = (isinstance(value, str), value)
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return kept


def _not_found(key: str) -> NotFound:
    return NotFound(f"no saved group {key!r}", details={"key": key})


def group_etag(group: SavedGroup) -> str:
    """A saved group's version as ``ETag``: the digest of its owner, description and values."""
    return etags.etag_of(group.model_dump(mode="json", exclude={"created_at", "updated_at"}))
