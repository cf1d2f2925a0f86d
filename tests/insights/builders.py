"""Test builders for insights: a small organisation whose numbers are worked out by hand.

Teams a, b, c; services s1, s2 (a), s3, s4 (b), s5 (c). Calls: s1 -> s3 (through API s3-api),
s2 -> s4, s3 -> s5, s5 -> s1 and s1 -> s2 (inside team a). Declared interactions: a-b
collaboration and b-c x-as-a-service; nothing between a and c. Database db1 is used by s4 (b)
and s5 (c). People: alice (backend, database) and bob (frontend) in a; carol (backend) in b;
dave (backend) and erin (database) in c. Unit "shop" holds a and b.
"""

from __future__ import annotations

from typing import Any

V = "backstage.io/v1alpha1"
ROLES = "insights.orgloop.dev/roles"
INTERACTIONS = "insights.orgloop.dev/interactions"


def _entity(kind: str, name: str, spec: dict[str, Any], **annotations: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": V, "kind": kind, "metadata": metadata, "spec": spec}


def team(name: str, members: list[str], interactions: str = "", parent: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "team", "children": [], "members": members}
    if parent:
        spec["parent"] = parent
    return _entity("Group", name, spec, **({INTERACTIONS: interactions} if interactions else {}))


def person(name: str, roles: str) -> dict[str, Any]:
    return _entity("User", name, {"memberOf": []}, **{ROLES: roles})


def service(name: str, owner: str, kind: str = "service", **spec: Any) -> dict[str, Any]:
    return _entity(
        "Component", name, {"type": kind, "lifecycle": "production", "owner": owner, **spec}
    )


def api(name: str, owner: str, paths: list[str]) -> dict[str, Any]:
    document = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n" + "".join(
        f"  {p}: {{}}\n" for p in paths
    )
    return _entity(
        "API", name, {"type": "openapi", "lifecycle": "production", "owner": owner,
                      "definition": document}
    )  # fmt: skip


def small_org() -> list[dict[str, Any]]:
    """The organisation of the module docstring, as catalog descriptors."""
    return [
        _entity("Group", "shop", {"type": "department", "children": ["a", "b"]}),
        team("a", ["alice", "bob"], "b: collaboration", parent="shop"),
        team("b", ["carol"], "c: x-as-a-service", parent="shop"),
        team("c", ["dave", "erin"]),
        person("alice", "backend, database"),
        person("bob", "frontend"),
        person("carol", "backend"),
        person("dave", "backend"),
        person("erin", "database"),
        service("s1", "a", kind="website", consumesApis=["s3-api"], dependsOn=["component:s2"]),
        service("s2", "a", dependsOn=["component:s4"]),
        service("s3", "b", providesApis=["s3-api"], dependsOn=["component:s5"]),
        service("s4", "b", dependsOn=["resource:db1"]),
        service("s5", "c", dependsOn=["component:s1", "resource:db1"]),
        api("s3-api", "b", ["/orders", "/v1/orders/{id}"]),
        _entity("Resource", "db1", {"type": "database", "owner": "c"}),
    ]


def import_payload(descriptors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "entities": [
            {"descriptor": d, "file": "org.yaml", "document": i} for i, d in enumerate(descriptors)
        ]
    }
