"""Where each kind of catalog entity is shown, and the small link records pages list."""

from __future__ import annotations

from typing import Any

from orgloop.catalog.models import EntitySummary

_PAGES = {"group": "teams", "component": "services", "api": "apis", "system": "systems"}


def name_of(ref: str) -> str:
    """``component:default/cart`` -> ``cart``; other namespaces keep theirs: ``ns/cart``."""
    rest = ref.split(":", 1)[-1]
    return rest.removeprefix("default/")


def kind_of(ref: str) -> str:
    return ref.split(":", 1)[0] if ":" in ref else ""


def href(ref: str) -> str | None:
    """The page of an entity, or None for kinds without one (people, resources, domains)."""
    page = _PAGES.get(kind_of(ref))
    rest = ref.split(":", 1)[-1]
    if page is None or not rest.startswith("default/"):
        return None  # pages address the default namespace only, for now
    return f"/{page}/{rest.removeprefix('default/')}"


def link(ref: str | None, summary: EntitySummary | None = None) -> dict[str, Any] | None:
    """``{"ref", "name", "title", "href"}`` of an entity, titled when the catalog has it."""
    if ref is None:
        return None
    title = (summary.title if summary else None) or name_of(ref)
    return {"ref": ref, "name": name_of(ref), "title": title, "href": href(ref)}


def ref_for(kind: str, name: str) -> str:
    """The ref a page's URL names: ``/teams/checkout`` -> ``group:default/checkout``."""
    return f"{kind}:default/{name}".lower()
