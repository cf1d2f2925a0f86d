"""Which environments of a flag are off because the kill switch turned them off, from its audit
history: the flag's page offers to undo those kills, and the dashboard's home lists them.

Pure: a flag and its audit entries (newest first, as ``FlagService.history`` returns them) in,
one record per killed environment out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orgloop.flags.models import Flag
from orgloop.kernel.models import AuditEntry

KILL = "flag.kill"


def kills(flag: Flag, history: Iterable[AuditEntry]) -> dict[str, dict[str, Any]]:
    """``{environment: {"by", "at", "when"}}`` for each environment that is off now and whose last
    change from on to off (or back) was the kill switch."""
    off = {env for env, config in flag.environments.items() if not config.enabled}
    last: dict[str, AuditEntry] = {}
    for entry in history:  # newest first: the first change seen of an environment is its last
        for env in _switched(entry) & off:
            last.setdefault(env, entry)
    return {
        env: {
            "by": entry.actor,
            "at": entry.at.isoformat(timespec="seconds"),
            "when": f"{entry.at:%Y-%m-%d %H:%M} UTC",
        }
        for env, entry in sorted(last.items())
        if entry.action == KILL
    }


def _switched(entry: AuditEntry) -> set[str]:
    """The environments whose on/off state this change flipped."""
    before, after = _enabled(entry.before), _enabled(entry.after)
    return {env for env in before.keys() | after.keys() if before.get(env) != after.get(env)}


def _enabled(snapshot: Any) -> dict[str, bool]:
    environments = snapshot.get("environments") if isinstance(snapshot, dict) else None
    if not isinstance(environments, dict):
        return {}
    return {
        env: bool(config.get("enabled"))
        for env, config in environments.items()
        if isinstance(config, dict)
    }
