"""Jira issues with their changelog (the REST API's ``expand=changelog`` shape) as work items (pure).

An issue's status history is its creation status followed by every changelog item on the
``status`` field; the team holding it changes with every changelog item on the team field (by
default ``Team``). The issue's own team is its first team; its capability the first component;
a defect's introducing change is named by ``root cause: <sha>`` in its description.
"""

from __future__ import annotations

import re
from typing import Any

from orgloop.insights.delivery.fourkeys import ROOT_CAUSE
from orgloop.insights.delivery.records import Batch

_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_jira(batch: Batch, data: Any, *, team_field: str = "Team") -> None:
    issues = data.get("issues") if isinstance(data, dict) else data
    if not isinstance(issues, list):
        batch.problem("$", None, 'expected a Jira search result ({"issues": [...]}) or a list')
        return
    for i, issue in enumerate(issues):
        where = f"issues[{i}]"
        if not isinstance(issue, dict) or not isinstance(issue.get("fields"), dict):
            batch.problem(where, "fields", "an issue needs its fields")
            continue
        batch.add("work_items", where, _item(issue, team_field))


def _item(issue: dict[str, Any], team_field: str) -> dict[str, Any]:
    fields: dict[str, Any] = issue["fields"]
    histories = (issue.get("changelog") or {}).get("histories") or []
    moves = sorted(
        (
            (_time(h.get("created")), item)
            for h in histories
            if isinstance(h, dict)
            for item in h.get("items") or []
            if isinstance(item, dict)
        ),
        key=lambda pair: str(pair[0]),
    )
    status_moves = [(at, it) for at, it in moves if it.get("field") == "status"]
    team_moves = [(at, it) for at, it in moves if it.get("field") == team_field]
    first_status = (
        status_moves[0][1].get("fromString") if status_moves else _name(fields.get("status"))
    )
    team = (
        team_moves[0][1].get("fromString")
        if team_moves
        else _name(fields.get(team_field) or fields.get(team_field.lower()))
    )
    created = _time(fields.get("created"))
    transitions = [{"status": first_status, "at": created, "team": team}]
    for at, item in moves:
        if item in (it for _, it in status_moves):
            transitions.append({"status": item.get("toString"), "at": at})
        else:
            transitions.append(
                {"status": transitions[-1]["status"], "at": at, "team": item.get("toString")}
            )
    components = fields.get("components") or []
    cause = ROOT_CAUSE.findall(str(fields.get("description") or ""))
    return {
        "item_id": issue.get("key") or issue.get("id"),
        "type": _name(fields.get("issuetype")) or "Story",
        "team": team,
        "capability": _name(components[0]) if components else None,
        "created": created,
        "introduced_by": cause[0] if cause else None,
        "transitions": transitions,
    }


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("name", "value", "title"):
            if value.get(key):
                return str(value[key])
        return None
    return None if value is None else str(value)


def _time(value: Any) -> Any:
    """Jira writes ``2024-03-01T09:00:00.000+0000``; ISO 8601 wants ``+00:00``."""
    if not isinstance(value, str):
        return value
    return _OFFSET.sub(lambda m: f"{m.group(1)}:{m.group(2)}", value.strip())
