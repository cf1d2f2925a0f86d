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
    {"title": "Traces", "about": "What really calls what, how often, how well.", "links": [
        {"title": "Runtime service graph", "href": "/traces"},
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
        {"title": "Overview", "href": "/insights"},
        {"title": "Conway alignment", "href": "/insights/conway"},
        {"title": "Monolith signals", "href": "/insights/monolith"},
        {"title": "DORA", "href": "/insights/dora"},
        {"title": "Flow", "href": "/insights/flow"},
        {"title": "Team shape", "href": "/insights/teams"},
        {"title": "Learning velocity", "href": "/insights/velocity"},
        {"title": "What if", "href": "/insights/whatif"},
    ]},
]  # fmt: skip
"""Top-level sections in the order the navigation bar shows them."""

COMING: dict[str, dict[str, str]] = {}
"""Pages of capabilities that have not landed yet: they say what will be there, never 404."""
