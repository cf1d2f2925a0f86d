"""The flags slice's public interface: define flags, configure them per environment, explain;
``FlagService.groups`` holds the saved groups their rules name.

Every change is checked against the engine's validator (the SDK is lenient, the server is not),
audited in the same transaction, and announced on the bus as ``FlagsChanged`` once committed so
streaming SDKs fetch the new ruleset.
"""

from __future__ import annotations

from typing import Any

from orgloop.catalog.service import CatalogService
from orgloop.flags import store
from orgloop.flags.engine.evaluation import Evaluator
from orgloop.flags.engine.ruleset import flag_from_dict, ruleset_from_dict
from orgloop.flags.engine.validation import flag_errors
from orgloop.flags.events import FlagsChanged
from orgloop.flags.groups import environment_groups, unknown_group_errors
from orgloop.flags.models import (
    EnvironmentConfig,
    Explanation,
    Flag,
    FlagCreate,
    FlagPage,
    FlagUpdate,
)
from orgloop.flags.payload import build_payload, engine_flag, etag_of
from orgloop.flags.rulesets import RulesetCache
from orgloop.flags.saved_groups import SavedGroupService
from orgloop.kernel import etags
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import Conflict, InvalidInput, NotFound
from orgloop.kernel.models import AuditEntry, Page


class FlagService:
    def __init__(
        self, *, db: Database, audit: AuditLog, clock: Clock, bus: EventBus, catalog: CatalogService
    ) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._bus = bus
        self._catalog = catalog
        self.groups = SavedGroupService(db=db, audit=audit, clock=clock, bus=bus, team=self._team)
        self._rulesets = RulesetCache(self._read_ruleset)
        bus.subscribe(FlagsChanged, self._rulesets.on_flags_changed)

    # -- reading -----------------------------------------------------------------------------

    def list_flags(
        self, *, owner: str | None = None, tag: str | None = None, limit: int = 100, offset: int = 0
    ) -> FlagPage:
        with self._db.reading() as session:
            owner_ref = self._team(owner) if owner else None
            flags = [store.to_model(r) for r in store.all_flags(session, owner=owner_ref)]
        if tag is not None:
            flags = [f for f in flags if tag in f.tags]
        return FlagPage.of(flags, limit=limit, offset=offset)

    def get_flag(self, key: str) -> Flag:
        with self._db.reading() as session:
            row = store.get(session, key)
            if row is None:
                raise _not_found(key)
            return store.to_model(row)

    def history(self, key: str, *, actor: Principal, limit: int = 50) -> Page[AuditEntry]:
        self.get_flag(key)
        return self._audit.list(actor=actor, resource_kind="flag", resource_id=key, limit=limit)

    def ruleset(self, environment: str) -> tuple[dict[str, Any], str]:
        """The compiled payload of one environment and its strong ETag, read once per change
        heard (``rulesets.py``); the payload is shared: do not change it."""
        return self._rulesets.get(environment)

    def _read_ruleset(self, environment: str) -> tuple[dict[str, Any], str]:
        with self._db.reading() as session:
            flags = [store.to_model(r) for r in store.all_flags(session)]
            named = environment_groups(flags, environment)
            groups = [store.group_to_model(r) for r in store.all_groups(session, keys=named)]
        payload = build_payload(flags, environment, groups)
        return payload, etag_of(payload)

    def explain(self, key: str, *, environment: str, attributes: dict[str, Any]) -> Explanation:
        self.get_flag(key)
        payload, _ = self.ruleset(environment)
        result = Evaluator(ruleset_from_dict(payload)).evaluate(key, attributes, explain=True)
        return Explanation(
            flag=key,
            environment=environment,
            value=result.value,
            on=result.on,
            source=result.source,
            rule_id=result.rule_id,
            experiment_key=result.experiment_key,
            variation_id=result.variation_id,
            variation_key=result.variation_key,
            in_experiment=result.in_experiment,
            hash_attribute=result.hash_attribute,
            hash_value=result.hash_value,
            bucket=result.bucket,
            explanation=list(result.explanation),
        )

    # -- changing ----------------------------------------------------------------------------

    def create_flag(self, request: FlagCreate, *, actor: Principal) -> Flag:
        owner = self._team(request.owner)
        actor.require_write(owner=owner, what=f"flag {request.key}")
        now = self._clock.now()
        flag = Flag(
            **request.model_dump(exclude={"owner", "environments"}),
            owner=owner,
            environments=dict(request.environments),
            created_at=now,
            updated_at=now,
        )
        with self._db.transaction() as session:
            if store.get(session, request.key) is not None:
                raise Conflict(f"flag {request.key!r} already exists", details={"key": flag.key})
            others = {r.key: store.to_model(r) for r in store.all_flags(session)}
            _check(flag, others, _named_groups(session, flag), prefix=True)
            store.add(session, flag)
            self._record(session, actor, "flag.create", flag.key, None, flag)
            self._bus.announce(session, FlagsChanged(key=flag.key, environments=()))
        return flag

    def update_flag(
        self, key: str, request: FlagUpdate, *, actor: Principal, if_match: str | None = None
    ) -> Flag:
        """``if_match``: the flag's ETag as read (412 if it changed since); None: not checked."""
        changes = request.model_dump(exclude_unset=True)
        for required in ("owner", "tags"):  # a flag always has both: null leaves them as they are
            if required in changes and changes[required] is None:
                del changes[required]
        if "owner" in changes:
            changes["owner"] = self._team(changes["owner"])
            actor.require_write(owner=changes["owner"], what=f"flag {key}")

        def apply(flag: Flag) -> Flag:
            return flag.model_copy(update=changes)

        return self._change(key, actor, "flag.update", apply, if_match=if_match)

    def delete_flag(self, key: str, *, actor: Principal) -> None:
        with self._db.transaction() as session:
            row = store.get(session, key, for_update=True)
            if row is None:
                raise _not_found(key)
            before = store.to_model(row)
            actor.require_write(owner=before.owner, what=f"flag {key}")
            dependants = _dependants(key, [store.to_model(r) for r in store.all_flags(session)])
            if dependants:
                raise Conflict(
                    f"flag {key!r} is a prerequisite of {', '.join(dependants)}; change those first",
                    details={"dependants": dependants},
                )
            store.delete(session, row)
            self._record(session, actor, "flag.delete", key, before, None)
            self._bus.announce(session, FlagsChanged(key=key, environments=()))

    def set_environment(
        self,
        key: str,
        environment: str,
        config: EnvironmentConfig,
        *,
        actor: Principal,
        if_match: str | None = None,
    ) -> Flag:
        def apply(flag: Flag) -> Flag:
            return flag.model_copy(
                update={"environments": {**flag.environments, environment: config}}
            )

        action = "flag.environment"
        return self._change(key, actor, action, apply, environment=environment, if_match=if_match)

    def toggle(self, key: str, environment: str, *, on: bool, actor: Principal) -> Flag:
        action = "flag.toggle.on" if on else "flag.toggle.off"
        return self._switch(key, environment, on, action, actor)

    def kill(self, key: str, environment: str, *, actor: Principal) -> Flag:
        """The kill switch: the flag is off in ``environment`` as soon as SDKs hear of it."""
        return self._switch(key, environment, False, "flag.kill", actor)

    # -- helpers -----------------------------------------------------------------------------

    def _switch(self, key: str, env: str, on: bool, action: str, actor: Principal) -> Flag:
        def apply(flag: Flag) -> Flag:
            current = flag.environments.get(env, EnvironmentConfig())
            config = current.model_copy(update={"enabled": on})
            return flag.model_copy(update={"environments": {**flag.environments, env: config}})

        return self._change(key, actor, action, apply, environment=env)

    def _change(
        self,
        key: str,
        actor: Principal,
        action: str,
        apply: Any,
        *,
        environment: str | None = None,
        if_match: str | None = None,
    ) -> Flag:
        with self._db.transaction() as session:
            row = store.get(session, key, for_update=True)
            if row is None:
                raise _not_found(key)
            before = store.to_model(row)
            actor.require_write(owner=before.owner, what=f"flag {key}")
            etags.check_if_match(if_match, flag_etag(before), what=f"flag {key}")
            after: Flag = apply(before).model_copy(update={"updated_at": self._clock.now()})
            others = {r.key: store.to_model(r) for r in store.all_flags(session) if r.key != key}
            _check(after, others, _named_groups(session, after), only=environment)
            store.save(session, row, after)
            self._record(session, actor, action, key, before, after)
            envs = (environment,) if environment is not None else ()
            self._bus.announce(session, FlagsChanged(key=key, environments=envs))
        return after

    def _team(self, ref: str) -> str:
        try:
            return self._catalog.get_entity(ref, default_kind="group").ref
        except NotFound:
            raise InvalidInput.at("owner", f"no team {ref!r} in the catalog") from None

    def _record(
        self,
        session: Any,
        actor: Principal,
        action: str,
        key: str,
        before: Flag | None,
        after: Flag | None,
    ) -> None:
        self._audit.record(
            session,
            actor=actor,
            action=action,
            kind="flag",
            ref=key,
            before=before,
            after=after,
        )


def flag_etag(flag: Flag) -> str:
    """A flag's version as ``ETag``: the digest of its settings and rules (not of its timestamps,
    which the two databases hand back with different precision)."""
    return etags.etag_of(flag.model_dump(mode="json", exclude={"created_at", "updated_at"}))


def _not_found(key: str) -> NotFound:
    return NotFound(f"no flag {key!r}", details={"key": key})


def _named_groups(session: Any, flag: Flag) -> set[str]:
    """The saved groups the flag's rules name that exist, share-locked (``store.lock_groups``)."""
    named = set().union(*(environment_groups([flag], env) for env in flag.environments))
    return store.lock_groups(session, named)


def _check(
    flag: Flag,
    others: dict[str, Flag],
    groups: set[str],
    *,
    only: str | None = None,
    prefix: bool = False,
) -> None:
    """Refuse the flag when any environment's configuration is invalid, with field paths.

    Paths are relative to the request body: ``rules[1].weights`` for one environment's PUT,
    ``environments.production.rules[1].weights`` for a whole flag.
    """
    errors: list[dict[str, str]] = []
    errors += flag_errors(
        flag_from_dict({"key": flag.key, "type": flag.type, "default_value": flag.default_value})
    )
    envs = [only] if only is not None else sorted(flag.environments)
    for env in envs:
        path = f"environments.{env}." if prefix or only is None else ""
        errors += _env_errors(flag, others, env, path)
        errors += unknown_group_errors(engine_flag(flag, env)["rules"], groups, path)
    if errors:
        unique = list({(e["path"], e["message"]): e for e in errors}.values())
        first = unique[0]
        more = f" (and {len(unique) - 1} more)" if len(unique) > 1 else ""
        raise InvalidInput(f"{first['path']}: {first['message']}{more}", details={"errors": unique})


def _env_errors(flag: Flag, others: dict[str, Flag], env: str, path: str) -> list[dict[str, str]]:
    data = {**engine_flag(flag, env), "key": flag.key}
    try:
        engine = flag_from_dict(data)
        env_flags = {
            k: flag_from_dict({**engine_flag(o, env), "key": k}) for k, o in others.items()
        }
    except InvalidInput as exc:
        return [{**e, "path": path + e["path"]} for e in exc.details.get("errors", [])]
    return [
        {**e, "path": path + e["path"]}
        for e in flag_errors(engine, flags=env_flags)
        if not e["path"].startswith("default_value")
    ]


def _dependants(key: str, flags: list[Flag]) -> list[str]:
    return sorted(
        f.key
        for f in flags
        if f.key != key
        and any(
            p.get("flag") == key
            for config in f.environments.values()
            for rule in config.rules
            for p in rule.get("parent_conditions") or []
            if isinstance(p, dict)
        )
    )
