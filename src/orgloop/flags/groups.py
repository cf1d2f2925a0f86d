"""Which saved groups a flag's rules name (``$inGroup`` / ``$notInGroup``), with field paths.

Pure logic: the service uses it to refuse rules naming unknown groups, to refuse deleting a group
still in use, and to put exactly the referenced groups into an environment's payload.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from orgloop.flags.models import Flag

GROUP_OPERATORS = frozenset({"$inGroup", "$notInGroup"})


def condition_groups(condition: Any, path: str) -> Iterator[tuple[str, str]]:
    """Each ``(path, group key)`` a condition names, paths as the condition validator writes them."""
    if isinstance(condition, dict):
        for key, value in condition.items():
            where = f"{path}.{key}"
            if key in GROUP_OPERATORS and isinstance(value, str):
                yield where, value
            else:
                yield from condition_groups(value, where)
    elif isinstance(condition, list):
        for i, item in enumerate(condition):
            yield from condition_groups(item, f"{path}[{i}]")


def rule_groups(rules: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Each ``(path, group key)`` named by a list of rules (conditions and parent conditions)."""
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        yield from condition_groups(rule.get("condition"), f"rules[{i}].condition")
        parents = rule.get("parent_conditions")
        for j, parent in enumerate(parents if isinstance(parents, list) else []):
            if isinstance(parent, dict):
                where = f"rules[{i}].parent_conditions[{j}].condition"
                yield from condition_groups(parent.get("condition"), where)


def environment_groups(flags: Iterable[Flag], environment: str) -> set[str]:
    """Every group named by any flag's rules in one environment."""
    return {
        key
        for flag in flags
        if environment in flag.environments
        for _, key in rule_groups(flag.environments[environment].rules)
    }


def users_of(group: str, flags: Iterable[Flag]) -> dict[str, list[str]]:
    """The flags naming ``group``, each with the environments where they do (sorted)."""
    users: dict[str, list[str]] = {}
    for flag in flags:
        envs = [
            env
            for env, config in sorted(flag.environments.items())
            if any(key == group for _, key in rule_groups(config.rules))
        ]
        if envs:
            users[flag.key] = envs
    return dict(sorted(users.items()))


def unknown_group_errors(
    rules: Iterable[dict[str, Any]], known: set[str], path: str = ""
) -> list[dict[str, str]]:
    """A field error for each group a rule names that does not exist."""
    return [
        {"path": path + where, "message": f"unknown saved group {key!r}"}
        for where, key in rule_groups(rules)
        if key not in known
    ]
