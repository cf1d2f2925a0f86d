"""The dashboard's map of capabilities: what is built, and what each coming page will show."""

from __future__ import annotations

from typing import Any

SECTIONS: list[dict[str, Any]] = [
    {"title": "Catalog", "about": "Who owns what.", "links": [
        {"title": "Teams", "href": "/teams"},
        {"title": "Services", "href": "/services"},
        {"title": "APIs", "href": "/apis"},
        {"title": "Systems", "href": "/systems"},
        {"title": "Group tree", "href": "/groups"},
        {"title": "Service graph", "href": "/graph"},
    ]},
    {"title": "Contracts", "about": "Can this team ship on its own?", "links": [
        {"title": "API versions", "href": "/contracts/versions"},
        {"title": "Environments", "href": "/contracts/environments"},
        {"title": "Can I deploy?", "href": "/contracts/can-i-deploy"},
        {"title": "Deprecations", "href": "/contracts/deprecations"},
        {"title": "Dependency graph", "href": "/graph"},
    ]},
    {"title": "Flags", "about": "Feature flags and rollouts.", "links": [
        {"title": "Flags", "href": "/flags"},
    ]},
    {"title": "Experiments", "about": "Is this idea working?", "links": [
        {"title": "Experiments", "href": "/experiments"},
        {"title": "Learning log", "href": "/experiments/learnings"},
        {"title": "Velocity", "href": "/experiments/velocity"},
    ]},
    {"title": "Insights", "about": "Are we a distributed monolith?", "links": [
        {"title": "Insights", "href": "/insights"},
    ]},
]  # fmt: skip
"""Top-level sections in the order the navigation bar shows them."""

COMING: dict[str, dict[str, str]] = {
    "/insights": {
        "title": "Insights",
        "what": "The observed service graph joined with ownership: Conway alignment, lockstep "
        "deploys, cycles, deep call chains, DORA and flow metrics.",
    },
}
"""Pages of capabilities that have not landed yet: they say what will be there, never 404."""
