"""Test builders for the delivery reports: a tiny catalog and the worked fortnight as files."""

from __future__ import annotations

from typing import Any

from orgloop.app import Services
from orgloop.catalog.models import DescriptorIn, ImportRequest
from orgloop.kernel.auth import SYSTEM
from tests.insights.delivery import worked as w


def _entity(kind: str, name: str, spec: dict[str, Any], **meta: Any) -> DescriptorIn:
    return DescriptorIn(
        descriptor={
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, **meta},
            "spec": spec,
        }
    )


def seed_catalog(services: Services) -> None:
    """Teams payments and platform; capability shopping; checkout (payments, repository
    acme/checkout-repo on GitHub and acme/checkout on GitLab) and search (platform)."""
    entities = [
        _entity("Group", "payments", {"type": "team", "children": []}),
        _entity("Group", "platform", {"type": "team", "children": []}),
        _entity("System", "shopping", {"owner": "payments"}),
        _entity(
            "Component",
            "checkout",
            {
                "type": "service",
                "lifecycle": "production",
                "owner": "payments",
                "system": "shopping",
            },
            annotations={"github.com/project-slug": "acme/checkout-repo"},
        ),
        _entity(
            "Component",
            "search",
            {"type": "service", "lifecycle": "production", "owner": "platform"},
        ),
    ]
    services.catalog.import_catalog(ImportRequest(entities=entities), actor=SYSTEM)


def _iso(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, tz=UTC).isoformat()


def fortnight() -> dict[str, Any]:
    """The worked example of ``worked.py`` in the generic JSON format."""
    links = {pk: w.CHANGE_IDS[c] for pk, c, _ in w.LINKS}
    cause = {pk: w.CHANGE_IDS[c] for pk, c in w.CAUSE_CHANGES}
    statuses: dict[int, list[dict[str, Any]]] = {}
    for item, status, team, entered, _ in w.INTERVALS:
        statuses.setdefault(item, []).append({"status": status, "at": _iso(entered), "team": team})
    return {
        "changes": [
            {"change_id": w.CHANGE_IDS[pk], "service": "checkout", "time_created": _iso(t)}
            for pk, t in w.CHANGES
        ],
        "deployments": [
            {
                "deploy_id": w.DEPLOY_IDS[pk],
                "service": s,
                "time_created": _iso(t),
                "changes": [links[pk]],
            }
            for pk, s, t in w.DEPLOYS
        ],
        "incidents": [
            {
                "incident_id": str(pk),
                "service": s,
                "time_created": _iso(c),
                "time_resolved": _iso(r) if r else None,
                "root_cause": [cause[pk]],
            }
            for pk, s, c, r in w.INCIDENTS
        ],
        "work_items": [
            {
                "item_id": f"SHOP-{pk}",
                "type": t,
                "team": team,
                "capability": cap,
                "created": _iso(created),
                "introduced_by": intro,
                "transitions": statuses[pk],
            }
            for pk, t, team, cap, created, intro in w.ITEMS
        ],
    }
