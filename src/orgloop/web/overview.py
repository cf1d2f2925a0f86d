"""What the overview pages show: the dashboard, the listings and the group tree."""

from __future__ import annotations

from collections import Counter
from typing import Any

from orgloop.web.catalogviews import TEAM_TYPE
from orgloop.web.links import href, link
from orgloop.web.nav import SECTIONS
from orgloop.web.reader import Reader, summary_view, targets


def dashboard(reader: Reader) -> dict[str, Any]:
    systems = reader.all("System")
    owners = reader.summaries(s.owner for s in systems if s.owner)
    return {
        "counts": {
            "teams": reader.count("Group", type="team"),
            "services": reader.count("Component", type="service"),
            "apis": reader.count("API"),
            "systems": len(systems),
        },
        "capabilities": [
            {
                **summary_view(s),
                "href": href(s.ref),
                "owner": link(s.owner, owners.get(s.owner or "")),
            }
            for s in systems
        ],
        "sections": SECTIONS,
    }


def teams(reader: Reader) -> dict[str, Any]:
    services = Counter(s.owner for s in reader.all("Component", type="service"))
    return {
        "teams": [
            {**summary_view(t), "href": href(t.ref), "team_type": t.annotations.get(TEAM_TYPE),
             "services": services.get(t.ref, 0)}
            for t in reader.all("Group", type="team")
        ]
    }  # fmt: skip


def services(reader: Reader) -> dict[str, Any]:
    return {"services": _owned_rows(reader, reader.all("Component", type="service"))}


def apis(reader: Reader) -> dict[str, Any]:
    return {"apis": _owned_rows(reader, reader.all("API"))}


def systems(reader: Reader) -> dict[str, Any]:
    return {"systems": _owned_rows(reader, reader.all("System"))}


def _owned_rows(reader: Reader, entities: list[Any]) -> list[dict[str, Any]]:
    known = reader.summaries(
        {e.owner for e in entities if e.owner} | {e.system for e in entities if e.system}
    )
    return [
        {**summary_view(e), "href": href(e.ref),
         "owner": link(e.owner, known.get(e.owner or "")),
         "system": link(e.system, known.get(e.system or ""))}
        for e in entities
    ]  # fmt: skip


def group_tree(reader: Reader) -> dict[str, Any]:
    """Groups nested under their parents, from the root organisation(s) down."""
    groups = {g.ref: reader.catalog.get_entity(g.ref) for g in reader.all("Group")}
    children = {
        ref: [c for c in targets(g, "parentOf") if c in groups] for ref, g in groups.items()
    }
    has_parent = {c for kids in children.values() for c in kids}
    roots = [ref for ref in sorted(groups) if ref not in has_parent]

    def node(ref: str, seen: frozenset[str]) -> dict[str, Any]:
        g = groups[ref]
        below = [c for c in sorted(children[ref]) if c not in seen]  # a cycle ends the branch
        return {
            **summary_view(g),
            "href": href(ref),
            "team_type": g.annotations.get(TEAM_TYPE),
            "members": len(targets(g, "hasMember")),
            "children": [node(c, seen | {c}) for c in below],
        }

    return {"roots": [node(r, frozenset({r})) for r in roots]}
