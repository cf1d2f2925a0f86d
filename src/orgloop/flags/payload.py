"""Per-environment SDK payloads built from stored flags, and their strong ETags (pure logic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from orgloop.flags.groups import environment_groups
from orgloop.flags.models import EnvironmentConfig, Flag, SavedGroup


def engine_flag(flag: Flag, environment: str) -> dict[str, Any]:
    """The flag as the engine's ruleset holds it; unknown environments see it switched off."""
    config = flag.environments.get(environment, EnvironmentConfig())
    return {
        "type": flag.type,
        "default_value": flag.default_value,
        "enabled": config.enabled,
        "rules": config.rules,
    }


def build_payload(
    flags: Iterable[Flag], environment: str, groups: Iterable[SavedGroup] = ()
) -> dict[str, Any]:
    """The ruleset of one environment, in ``ruleset_from_dict``'s format.

    Only the saved groups this environment's rules name are sent (a group may hold thousands of
    ids), so a change to any of them changes the payload and therefore its ETag.
    """
    flags = list(flags)
    named = environment_groups(flags, environment)
    used = [g for g in groups if g.key in named]
    latest = max([*(f.updated_at for f in flags), *(g.updated_at for g in used)], default=None)
    return {
        "environment": environment,
        "version": int(latest.timestamp() * 1000) if latest else 0,
        "flags": {f.key: engine_flag(f, environment) for f in flags},
        "saved_groups": {g.key: list(g.values) for g in sorted(used, key=lambda g: g.key)},
    }


def etag_of(payload: dict[str, Any]) -> str:
    """A strong ETag: the hash of the canonical JSON, so equal payloads share it."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'
