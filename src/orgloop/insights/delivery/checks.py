"""What makes a batch unfit to store, per record: unknown names, time going backwards, duplicates.

Run after parsing and before storing; every problem names its file, record and field, and one
problem anywhere stops the whole batch (nothing half-imported).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orgloop.insights.delivery.directory import Directory
from orgloop.insights.delivery.records import Batch, Located


def check(batch: Batch, directory: Directory) -> None:
    _duplicates(batch, batch.changes, "change_id")
    _duplicates(batch, batch.deployments, "deploy_id")
    _duplicates(batch, batch.incidents, "incident_id")
    _duplicates(batch, batch.work_items, "item_id")
    for kind in ("changes", "deployments", "incidents"):
        for located in getattr(batch, kind):
            service = located.record.service.lower()
            if service not in directory.owner:
                batch.problem(
                    located.where,
                    "service",
                    f"unknown service {service!r}: not an owned component in the catalog",
                )
    created = {c.record.change_id: c.record.time_created for c in batch.changes}
    for d in batch.deployments:
        for change in d.record.changes:
            if change in created and created[change] > d.record.time_created:
                batch.problem(
                    d.where,
                    "changes",
                    f"time goes backwards: change {change} was created after this deployment",
                )
    for i in batch.incidents:
        if i.record.time_resolved is not None and i.record.time_resolved < i.record.time_created:
            batch.problem(i.where, "time_resolved", "time goes backwards: resolved before created")
    for w in batch.work_items:
        _work_item(batch, w, directory)


def _work_item(batch: Batch, located: Located[Any], directory: Directory) -> None:
    item = located.record
    if item.team.lower() not in directory.teams:
        batch.problem(located.where, "team", f"unknown team {item.team!r}: not a catalog group")
    if item.capability and item.capability.lower() not in directory.systems:
        batch.problem(
            located.where,
            "capability",
            f"unknown capability {item.capability!r}: not a catalog system",
        )
    previous = item.created
    for n, t in enumerate(item.transitions):
        if t.team and t.team.lower() not in directory.teams:
            batch.problem(located.where, f"transitions.{n}.team", f"unknown team {t.team!r}")
        if t.at < previous:
            batch.problem(
                located.where,
                f"transitions.{n}.at",
                f"time goes backwards: {t.at.isoformat()} is before {previous.isoformat()}",
            )
        previous = t.at


def _duplicates(batch: Batch, located: Sequence[Located[Any]], key: str) -> None:
    first: dict[str, str] = {}
    for item in located:
        value = getattr(item.record, key)
        if value in first:
            batch.problem(item.where, key, f"duplicate {key} {value!r} (first at {first[value]})")
        else:
            first[value] = item.where
