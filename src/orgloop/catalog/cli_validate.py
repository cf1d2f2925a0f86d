"""``orgloop catalog validate PATH... [--json]``: the offline check of descriptor files.

Returns the text to print and the exit code: 0 valid, 1 invalid, 2 unreadable input (a missing
file, a file too large, text that is not YAML).  Runs without a server or a database.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orgloop.catalog.entities import Issue
from orgloop.catalog.locations import Loaded, load_paths
from orgloop.catalog.relations import derive_relations
from orgloop.catalog.validation import KINDS, Mode, validate

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def check_paths(paths: Sequence[str | Path], *, mode: Mode = "orgloop") -> dict[str, Any]:
    """The validation report: entity counts per kind, relation count and every error."""
    loaded = load_paths(paths)
    issues = _in_reading_order(loaded, loaded.issues + validate(loaded.entities, mode=mode))
    counts = Counter(entity.kind for entity in loaded.entities)
    order = [k for k in KINDS if k in counts] + sorted(counts.keys() - set(KINDS))
    return {
        "entities": {kind: counts[kind] for kind in order},
        "relations": len(derive_relations(loaded.entities)),
        "errors": [issue.to_dict() for issue in issues],
        "skipped": [file for _, file in loaded.skipped],
        "note": loaded.skipped_note(),
        "unreadable": loaded.unreadable,
    }


def _in_reading_order(loaded: Loaded, issues: list[Issue]) -> list[Issue]:
    position = {file: i for i, file in enumerate(loaded.files)}
    return sorted(issues, key=lambda i: (position.get(i.file, -1), i.document or 0))


def run_validate(
    paths: Sequence[str | Path], *, as_json: bool = False, mode: Mode = "orgloop"
) -> tuple[str, int]:
    """Validate the paths and render the report; returns ``(output, exit_code)``."""
    if not paths:
        return "no paths given: name descriptor files or directories", EXIT_UNREADABLE
    report = check_paths(paths, mode=mode)
    unreadable = report.pop("unreadable")
    note = report.pop("note")
    code = EXIT_UNREADABLE if unreadable else EXIT_INVALID if report["errors"] else EXIT_VALID
    if as_json:
        return json.dumps(report, indent=2), code
    text = _render_text(report)
    return (text if note is None else f"{text}\n{note}"), code


def _render_text(report: dict[str, Any]) -> str:
    entities: dict[str, int] = report["entities"]
    width = max((len(kind) for kind in entities), default=0)
    lines = [f"{sum(entities.values())} entities"]
    lines += [f"  {kind:<{width}}  {count}" for kind, count in entities.items()]
    lines.append(f"{report['relations']} relations")
    errors: list[dict[str, Any]] = report["errors"]
    if not errors:
        lines.append("valid")
        return "\n".join(lines)
    lines.append(f"{len(errors)} error{'s' if len(errors) != 1 else ''}")
    for error in errors:
        where = (
            error["file"] if error["document"] is None else f"{error['file']}:{error['document']}"
        )
        lines.append(f"  {where}  {error['path'] or '-'}  {error['message']}")
    return "\n".join(lines)
