"""GitHub, GitLab, Jira and CSV files mapped to the generic records (Four Keys' mapping)."""

from __future__ import annotations

from orgloop.insights.delivery import csvfiles, fourkeys, jira
from orgloop.insights.delivery.directory import Directory
from orgloop.insights.delivery.records import Batch

DIRECTORY = Directory(
    owner={"checkout": "payments"},
    teams=frozenset({"payments", "platform"}),
    systems=frozenset({"shopping"}),
    slugs={"acme/checkout-repo": "checkout"},
)
REPO = {"full_name": "acme/checkout-repo", "name": "checkout-repo"}

GITHUB = [
    {
        "event": "push",
        "payload": {
            "repository": REPO,
            "head_commit": {"id": "bbb2222"},
            "commits": [
                {"id": "aaa1111", "timestamp": "2024-03-01T08:00:00Z"},
                {"id": "bbb2222", "timestamp": "2024-03-01T09:00:00+01:00"},
            ],
        },
    },
    {
        "event": "push",
        "payload": {
            "repository": REPO,
            "head_commit": {"id": "bbb2222"},
            "commits": [{"id": "bbb2222", "timestamp": "2024-03-01T09:00:00+01:00"}],
        },
    },
    {
        "event": "deployment_status",
        "payload": {
            "repository": REPO,
            "deployment": {"sha": "bbb2222", "environment": "production"},
            "deployment_status": {
                "id": 77,
                "state": "success",
                "updated_at": "2024-03-01T10:00:00Z",
            },
        },
    },
    {
        "event": "deployment_status",
        "payload": {
            "repository": REPO,
            "deployment": {"sha": "x"},
            "deployment_status": {
                "id": 78,
                "state": "failure",
                "updated_at": "2024-03-01T10:05:00Z",
            },
        },
    },
    {
        "event": "issues",
        "payload": {
            "repository": REPO,
            "issue": {
                "number": 12,
                "labels": [{"name": "Incident"}],
                "created_at": "2024-03-01T12:00:00Z",
                "closed_at": "2024-03-01T13:30:00Z",
                "body": "Checkout down.\nroot cause: aaa1111",
            },
        },
    },
    {
        "event": "issues",
        "payload": {
            "repository": REPO,
            "issue": {
                "number": 13,
                "labels": [{"name": "feature"}],
                "created_at": "2024-03-01T12:00:00Z",
            },
        },
    },
]


def test_github_events_follow_four_keys() -> None:
    """Two pushes carry aaa1111 and bbb2222 (bbb2222 twice: one change); the successful
    deployment 77 ships bbb2222 (the push head); the failed one and the feature issue are
    skipped; issue 12 is an incident with root cause aaa1111, restored after 90 minutes."""
    batch = Batch(file="gh.json", source="github")
    fourkeys.parse_github(batch, GITHUB, DIRECTORY.service_for)
    assert batch.problems == []
    assert [c.record.change_id for c in batch.changes] == ["aaa1111", "bbb2222"]
    assert {c.record.service for c in batch.changes} == {"checkout"}
    assert batch.changes[1].record.head == "bbb2222"
    [deploy] = [d.record for d in batch.deployments]
    assert (deploy.deploy_id, deploy.main_commit, deploy.changes) == ("77", "bbb2222", ["bbb2222"])
    [incident] = [i.record for i in batch.incidents]
    assert incident.root_cause == ["aaa1111"]
    assert incident.time_resolved is not None
    assert (incident.time_resolved - incident.time_created).total_seconds() == 5400
    assert batch.skipped == 2


def test_gitlab_hooks_follow_four_keys() -> None:
    project = {"path_with_namespace": "acme/checkout", "name": "checkout"}
    hooks = [
        {
            "object_kind": "push",
            "project": project,
            "checkout_sha": "ccc3333",
            "commits": [{"id": "ccc3333", "timestamp": "2024-03-02T08:00:00+01:00"}],
        },
        {
            "object_kind": "deployment",
            "project": project,
            "status": "success",
            "deployment_id": 5,
            "status_changed_at": "2024-03-02 10:00:00 +0100",
            "commit_url": "https://example.test/acme/checkout/-/commit/ccc3333",
            "environment": "production",
        },
        {
            "object_kind": "issue",
            "project": project,
            "labels": [{"title": "Incident"}],
            "object_attributes": {
                "iid": 3,
                "created_at": "2024-03-02 12:00:00 UTC",
                "closed_at": "2024-03-02 12:30:00 UTC",
                "description": "root cause: ccc3333",
            },
        },
    ]
    batch = Batch(file="gl.json", source="gitlab")
    fourkeys.parse_gitlab(batch, hooks, DIRECTORY.service_for)
    assert batch.problems == []
    [deploy] = [d.record for d in batch.deployments]
    assert deploy.main_commit == "ccc3333"
    assert deploy.time_created.isoformat() == "2024-03-02T10:00:00+01:00"
    [incident] = [i.record for i in batch.incidents]
    assert incident.incident_id == "3"
    assert incident.root_cause == ["ccc3333"]


def test_missing_fields_name_the_event_and_field() -> None:
    batch = Batch(file="gh.json", source="github")
    fourkeys.parse_github(
        batch,
        [{"event": "push", "payload": {"repository": REPO, "commits": [{"id": "a1b2c3d"}]}}],
        DIRECTORY.service_for,
    )
    [problem] = batch.problems
    assert (problem["record"], problem["field"]) == ("[0].commits[0]", "time_created")


JIRA = {
    "issues": [
        {
            "key": "SHOP-1",
            "fields": {
                "issuetype": {"name": "Bug"},
                "created": "2024-03-01T00:00:00.000+0000",
                "status": {"name": "Done"},
                "Team": {"name": "payments"},
                "components": [{"name": "shopping"}],
                "description": "root cause: aaa1111",
            },
            "changelog": {
                "histories": [
                    {
                        "created": "2024-03-02T09:00:00.000+0000",
                        "items": [
                            {"field": "status", "fromString": "Backlog", "toString": "In Progress"}
                        ],
                    },
                    {
                        "created": "2024-03-03T09:00:00.000+0000",
                        "items": [
                            {"field": "status", "fromString": "In Progress", "toString": "Blocked"},
                            {"field": "Team", "fromString": "payments", "toString": "platform"},
                        ],
                    },
                    {
                        "created": "2024-03-05T21:00:00.000+0000",
                        "items": [{"field": "status", "fromString": "Blocked", "toString": "Done"}],
                    },
                ]
            },
        }
    ]
}


def test_jira_changelog_is_a_status_history() -> None:
    batch = Batch(file="jira.json", source="jira")
    jira.parse_jira(batch, JIRA)
    assert batch.problems == []
    [item] = [i.record for i in batch.work_items]
    assert (item.item_id, item.type, item.team, item.capability) == (
        "SHOP-1",
        "Bug",
        "payments",
        "shopping",
    )
    assert item.introduced_by == "aaa1111"
    steps = [(t.status, t.team) for t in item.transitions]
    assert steps == [
        ("Backlog", "payments"),
        ("In Progress", None),
        ("Blocked", None),
        ("Blocked", "platform"),
        ("Done", None),
    ]


def test_csv_work_items_group_rows_by_item() -> None:
    text = (
        "item_id,type,team,capability,created,status,at,holder\n"
        "SHOP-1,Story,payments,shopping,2024-03-01T00:00:00Z,Backlog,2024-03-01T00:00:00Z,\n"
        "SHOP-1,,,,,In Progress,2024-03-02T09:00:00Z,\n"
        "SHOP-1,,,,,Blocked,2024-03-03T09:00:00Z,platform\n"
    )
    batch = Batch(file="items.csv", source="csv")
    csvfiles.parse_csv(batch, text, "work_items")
    assert batch.problems == []
    [item] = batch.work_items
    assert item.where == "line 2"
    assert [t.team for t in item.record.transitions] == [None, None, "platform"]


def test_csv_missing_columns_are_named() -> None:
    batch = Batch(file="d.csv", source="csv")
    csvfiles.parse_csv(batch, "deploy_id,service\nd1,checkout\n", "deployments")
    assert batch.problems[0]["field"] == "time_created"
