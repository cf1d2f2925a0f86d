"""GitHub and GitLab webhook payloads mapped to changes, deployments and incidents (pure).

The mapping is DORA's Four Keys project's (its ``changes``, ``deployments`` and ``incidents``
queries over ``events_raw``):

* a push's commits are changes (id, timestamp), each remembering the push's head commit;
* a successful ``deployment_status`` (GitLab: a ``deployment`` hook with status success) is a
  deployment of the commit it names; its changes are that commit and the commits of the push whose
  head it is;
* an issue labelled "Incident" is an incident opened at its creation and resolved when closed; its
  root cause is the commit named by ``root cause: <sha>`` in its body.

A file holds a list of events, each ``{"event": "<X-GitHub-Event>", "payload": {...}}`` (GitLab
payloads carry ``object_kind`` and need no envelope). The repository names the service: a catalog
component whose ``github.com/project-slug`` / ``gitlab.com/project-slug`` annotation is the
repository's full name, else the component named like the repository.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from orgloop.insights.delivery.records import Batch

ROOT_CAUSE = re.compile(r"root cause:\s*([0-9a-fA-F]{7,40})", re.IGNORECASE)
INCIDENT_LABEL = "incident"
_OFFSET = re.compile(r"\s*([+-]\d{2}):?(\d{2})$")

Resolve = Callable[[str, str], str]  # (full name, short name) -> service name


def parse_github(batch: Batch, data: Any, resolve: Resolve) -> None:
    for where, event, payload in _events(batch, data):
        kind = event or _github_kind(payload)
        repo = payload.get("repository") or {}
        service = resolve(str(repo.get("full_name", "")), str(repo.get("name", "")))
        if kind == "push":
            _push(batch, where, service, payload.get("commits"), _get(payload, "head_commit", "id"))
        elif kind == "deployment_status":
            status = payload.get("deployment_status") or {}
            deployment = payload.get("deployment") or {}
            if status.get("state") != "success":
                batch.skipped += 1
                continue
            sha = deployment.get("sha")
            batch.add(
                "deployments",
                where,
                {
                    "deploy_id": _text(status.get("id")),
                    "service": service,
                    "time_created": status.get("updated_at") or status.get("created_at"),
                    "environment": status.get("environment")
                    or deployment.get("environment")
                    or "production",
                    "main_commit": sha,
                    "changes": [sha] if sha else [],
                },
            )
        elif kind == "issues":
            issue = payload.get("issue") or {}
            if not _labelled(issue.get("labels"), "name"):
                batch.skipped += 1
                continue
            batch.add(
                "incidents",
                where,
                {
                    "incident_id": _text(issue.get("number")),
                    "service": service,
                    "time_created": issue.get("created_at"),
                    "time_resolved": issue.get("closed_at"),
                    "root_cause": ROOT_CAUSE.findall(issue.get("body") or ""),
                },
            )
        else:
            batch.skipped += 1


def parse_gitlab(batch: Batch, data: Any, resolve: Resolve) -> None:
    for where, event, payload in _events(batch, data):
        kind = payload.get("object_kind") or event
        project = payload.get("project") or {}
        service = resolve(str(project.get("path_with_namespace", "")), str(project.get("name", "")))
        if kind == "push":
            _push(
                batch,
                where,
                service,
                payload.get("commits"),
                payload.get("checkout_sha"),
                times=_gitlab_time,
            )
        elif kind == "deployment":
            if payload.get("status") != "success":
                batch.skipped += 1
                continue
            sha = str(payload.get("commit_url") or "").rstrip("/").rsplit("/", 1)[-1] or None
            batch.add(
                "deployments",
                where,
                {
                    "deploy_id": _text(payload.get("deployment_id")),
                    "service": service,
                    "time_created": _gitlab_time(payload.get("status_changed_at")),
                    "environment": payload.get("environment") or "production",
                    "main_commit": sha,
                    "changes": [sha] if sha else [],
                },
            )
        elif kind == "issue":
            attrs = payload.get("object_attributes") or {}
            labels = payload.get("labels") or attrs.get("labels")
            if not _labelled(labels, "title"):
                batch.skipped += 1
                continue
            batch.add(
                "incidents",
                where,
                {
                    "incident_id": _text(attrs.get("iid") or attrs.get("id")),
                    "service": service,
                    "time_created": _gitlab_time(attrs.get("created_at")),
                    "time_resolved": _gitlab_time(attrs.get("closed_at")),
                    "root_cause": ROOT_CAUSE.findall(attrs.get("description") or ""),
                },
            )
        else:
            batch.skipped += 1


def _events(batch: Batch, data: Any) -> list[tuple[str, str | None, Mapping[str, Any]]]:
    if isinstance(data, dict):
        data = data.get("events", [data])
    if not isinstance(data, list):
        batch.problem("$", None, "expected a list of webhook events")
        return []
    found: list[tuple[str, str | None, Mapping[str, Any]]] = []
    for i, item in enumerate(data):
        where = f"[{i}]"
        if not isinstance(item, dict):
            batch.problem(where, None, "expected an object (a webhook event)")
            continue
        payload = item.get("payload", item)
        if not isinstance(payload, dict):
            batch.problem(where, "payload", "expected an object")
            continue
        event = item.get("event") if "payload" in item else None
        found.append((where, str(event) if event else None, payload))
    return found


def _push(
    batch: Batch,
    where: str,
    service: str,
    commits: Any,
    head: Any,
    times: Callable[[Any], Any] = lambda t: t,
) -> None:
    if not isinstance(commits, list):
        batch.problem(where, "commits", "a push needs its list of commits")
        return
    seen = {c.record.change_id for c in batch.changes}
    for j, commit in enumerate(commits):
        if isinstance(commit, dict) and commit.get("id") in seen:
            continue  # the same commit pushed again (a branch, then its merge): one change
        body = commit if isinstance(commit, dict) else {}
        batch.add(
            "changes",
            f"{where}.commits[{j}]",
            {
                "change_id": body.get("id"),
                "service": service,
                "time_created": times(body.get("timestamp")),
                "head": head,
            },
        )


def _github_kind(payload: Mapping[str, Any]) -> str | None:
    if "deployment_status" in payload:
        return "deployment_status"
    if "commits" in payload:
        return "push"
    if "issue" in payload:
        return "issues"
    return None


def _labelled(labels: Any, key: str) -> bool:
    if not isinstance(labels, list):
        return False
    names = [str(label.get(key, "")) if isinstance(label, dict) else str(label) for label in labels]
    return any(n.strip().lower() == INCIDENT_LABEL for n in names)


def _gitlab_time(value: Any) -> Any:
    """``2024-03-08 12:00:00 UTC`` and ``2021-04-28 21:50:00 +0200`` as ISO 8601."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace(" UTC", "+00:00")
    text = _OFFSET.sub(lambda m: f"{m.group(1)}:{m.group(2)}", text)
    return text.replace(" ", "T", 1)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _get(payload: Mapping[str, Any], *keys: str) -> Any:
    value: Any = payload
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
