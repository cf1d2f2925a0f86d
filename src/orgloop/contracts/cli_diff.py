"""``orgloop contracts diff``: compare two OpenAPI files offline and render the findings (as
text, JSON or Markdown; ``contracts publish`` renders the server's findings with it too).

Exit codes: 0 no finding at or above ``--fail-on``, 1 there is one, 2 unreadable or invalid
input (document or policy).
"""

from __future__ import annotations

import json
from typing import Literal

from orgloop.contracts.openapi.diff import diff
from orgloop.contracts.openapi.loader import load_document
from orgloop.contracts.openapi.model import LEVEL_RANK, LEVELS, Change
from orgloop.contracts.openapi.policy import Policy, load_policy
from orgloop.kernel.errors import OrgloopError

Format = Literal["text", "json", "markdown"]


def run(
    base_path: str,
    new_path: str,
    *,
    fmt: str = "text",
    fail_on: str = "error",
    policy_path: str | None = None,
) -> tuple[str, int]:
    """The rendered report and the exit code."""
    if fmt not in ("text", "json", "markdown") or fail_on not in ("error", "warning", "info"):
        return _error_text(fmt, f"unsupported format {fmt!r} or fail-on level {fail_on!r}"), 2
    try:
        policy = load_policy(policy_path) if policy_path else Policy()
        changes = diff(load_document(base_path), load_document(new_path), policy=policy)
    except OrgloopError as err:
        if fmt == "json":
            return json.dumps(err.to_dict(), indent=2), 2
        return _error_text(fmt, err.message), 2
    changes = sorted(changes, key=lambda c: (-LEVEL_RANK[c.level], c.operation, c.path, c.id))
    failing = any(LEVEL_RANK[c.level] >= LEVEL_RANK[fail_on] for c in changes)
    return render(changes, fmt), 1 if failing else 0


def summary(changes: list[Change]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(LEVELS, 0)
    for change in changes:
        counts[change.level] += 1
    return counts


def render(changes: list[Change], fmt: str) -> str:
    if fmt == "json":
        payload = {"changes": [c.to_dict() for c in changes], "summary": summary(changes)}
        return json.dumps(payload, indent=2)
    if fmt == "markdown":
        return render_markdown(changes)
    return render_text(changes)


def _totals(changes: list[Change]) -> str:
    counts = summary(changes)
    return f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"


def render_text(changes: list[Change]) -> str:
    if not changes:
        return "No changes found."
    lines = []
    for c in changes:
        where = f"{c.operation}: " if c.operation else ""
        lines.append(f"{c.level:<7} [{c.id}] {where}{c.message}")
        lines.append(f"        at {c.path}")
    lines.append(_totals(changes))
    return "\n".join(lines)


def render_markdown(changes: list[Change]) -> str:
    if not changes:
        return "No changes found."
    lines = ["| level | rule | operation | message | path |", "|---|---|---|---|---|"]
    for c in changes:
        cells = [
            c.level,
            f"`{c.id}`",
            f"`{c.operation}`" if c.operation else "",
            c.message,
            f"`{c.path}`",
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines.extend(["", f"**{_totals(changes)}**"])
    return "\n".join(lines)


def _error_text(fmt: str, message: str) -> str:
    if fmt == "json":
        return json.dumps(
            {"error": {"code": "invalid_input", "message": message, "details": {}}}, indent=2
        )
    return f"error: {message}"
