"""CSV files of changes, deployments, incidents or work-item transitions (pure).

One kind per file, named by ``--kind``; the header names the columns (the generic format's field
names). Lists (a deployment's changes, an incident's root causes) are separated by spaces or ``;``.
Work items come one row per status transition: ``item_id, type, team, capability, created,
introduced_by`` (from the item's first row) and ``status, at, holder`` (the team holding it).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from orgloop.insights.delivery.records import KINDS, Batch

REQUIRED = {
    "changes": ("change_id", "service", "time_created"),
    "deployments": ("deploy_id", "service", "time_created"),
    "incidents": ("incident_id", "service", "time_created"),
    "work_items": ("item_id", "team", "created", "status", "at"),
}
LISTS = {"changes", "root_cause"}


def parse_csv(batch: Batch, text: str, kind: str | None) -> None:
    if kind not in KINDS:
        batch.problem("$", "kind", f"a CSV file needs --kind, one of {', '.join(KINDS)}")
        return
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        batch.problem("line 1", ",".join(missing), f"missing column(s) {', '.join(missing)}")
        return
    rows = [(reader.line_num, {k: _cell(k, v) for k, v in row.items() if k}) for row in reader]
    if kind != "work_items":
        for line, row in rows:
            batch.add(kind, f"line {line}", row)
        return
    items: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, row in rows:
        key = str(row.get("item_id") or f"<line {line}>")
        if key not in items:
            item = {
                k: row.get(k)
                for k in ("item_id", "type", "team", "capability", "created", "introduced_by")
                if row.get(k) is not None
            }
            items[key] = (line, {**item, "transitions": []})
        transition = {"status": row.get("status"), "at": row.get("at"), "team": row.get("holder")}
        items[key][1]["transitions"].append(transition)
    for line, item in items.values():
        batch.add("work_items", f"line {line}", item)


def _cell(key: str, value: str | None) -> Any:
    if value is None or value.strip() == "":
        return None
    if key in LISTS:
        return [v for v in value.replace(";", " ").split() if v]
    return value.strip()
