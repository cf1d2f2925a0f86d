"""Per-environment SDK payloads built from stored flags, and their strong ETags (pure logic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from orgloop.flags.models import EnvironmentConfig, Flag


def engine_flag(flag: Flag, environment: str) -> dict[str, Any]:
    """The flag as the engine's ruleset holds it; unknown environments see it switched off."""
    config = flag.environments.get(environment, EnvironmentConfig())
    return {
        "type": flag.type,
        "default_value": flag.default_value,
        "enabled": config.enabled,
        "rules": config.rules,
    }


def build_payload(flags: Iterable[Flag], environment: str) -> dict[str, Any]:
    """The ruleset of one environment, in ``ruleset_from_dict``'s format."""
    flags = list(flags)
    latest = max((f.updated_at for f in flags), default=None)
    return {
        "environment": environment,
        "version": int(latest.timestamp() * 1000) if latest else 0,
        "flags": {f.key: engine_flag(f, environment) for f in flags},
        "saved_groups": {},
    }


def etag_of(payload: dict[str, Any]) -> str:
    """A strong ETag: the hash of the canonical JSON, so equal payloads share it."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'
