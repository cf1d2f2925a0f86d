"""The HAL documents of what a Pact Broker client records: environments, pacticipants, their
versions with branches and tags, and deployed or released versions."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from fastapi import Request

from orgloop.contracts.broker.hal import Hal, base
from orgloop.contracts.pacticipants import Environment, Pacticipant, Running, Version

_KIND_PATHS = {"deployment": "deployed-versions", "release": "released-versions"}


def q(value: str) -> str:
    return quote(value, safe="")


def pacticipant_url(request: Request, name: str) -> str:
    return f"{base(request)}/pacticipants/{q(name)}"


def version_url(request: Request, service: str, number: str) -> str:
    return f"{pacticipant_url(request, service)}/versions/{q(number)}"


def environment_url(request: Request, env: Environment) -> str:
    return f"{base(request)}/environments/{env.uuid}"


def environment(request: Request, env: Environment) -> Hal:
    url = environment_url(request, env)
    return {
        "uuid": env.uuid,
        "name": env.name,
        "displayName": env.display_name,
        "production": env.production,
        "createdAt": env.created_at.isoformat() if env.created_at else None,
        "_links": {
            "self": {"href": url, "title": "Environment", "name": env.name},
            "pb:currently-deployed-deployed-versions": {
                "href": f"{url}/deployed-versions/currently-deployed",
                "title": "Versions currently deployed",
            },
            "pb:currently-supported-released-versions": {
                "href": f"{url}/released-versions/currently-supported",
                "title": "Versions released and supported",
            },
        },
    }


def environments(request: Request, envs: Sequence[Environment]) -> Hal:
    return {
        "_embedded": {"environments": [environment(request, e) for e in envs]},
        "_links": {"self": {"href": f"{base(request)}/environments", "title": "Environments"}},
    }


def pacticipant(request: Request, found: Pacticipant) -> Hal:
    """A service, with the links clients follow to its versions, branches and tags."""
    url = pacticipant_url(request, found.name)
    return {
        "name": found.name,
        "displayName": found.display_name,
        "mainBranch": found.main_branch,
        "repositoryUrl": found.repository_url,
        "owner": found.owner,
        "_links": {
            "self": {"href": url, "name": found.name},
            "pb:versions": {"href": f"{url}/versions"},
            "pb:version": _template(f"{url}/versions/{{version}}"),
            "pb:latest-version": {"href": f"{url}/latest-version"},
            "pb:branch-version": _template(f"{url}/branches/{{branch}}/versions/{{version}}"),
            "pb:version-tag": _template(f"{url}/versions/{{version}}/tags/{{tag}}"),
        },
    }


def pacticipants(request: Request, found: Sequence[Pacticipant]) -> Hal:
    items = [pacticipant(request, p) for p in found]
    return {
        "pacticipants": items,
        "_embedded": {"pacticipants": items},
        "_links": {"self": {"href": f"{base(request)}/pacticipants"}},
    }


def version(request: Request, found: Version, envs: Sequence[Environment]) -> Hal:
    """A service version with its branches and tags, and where it can be recorded as
    deployed or released (one link per environment, named after it)."""
    url = version_url(request, found.service, found.number)

    def per_environment(kind: str) -> list[Hal]:
        return [
            {
                "href": f"{url}/{_KIND_PATHS[kind]}/environment/{e.uuid}",
                "name": e.name,
                "title": f"Record {kind} to {e.display_name}",
            }
            for e in envs
        ]

    return {
        "number": found.number,
        "branch": found.branches[-1] if found.branches else None,
        "buildUrl": found.build_url,
        "createdAt": found.created_at.isoformat() if found.created_at else None,
        "_embedded": {
            "branchVersions": [{"name": b, "latest": True} for b in found.branches],
            "tags": [tag(request, found, t) for t in found.tags],
        },
        "_links": {
            "self": {"href": url, "name": found.number, "title": "Version"},
            "pb:pacticipant": {
                "href": pacticipant_url(request, found.service),
                "name": found.service,
                "title": "Pacticipant",
            },
            "pb:tag": _template(f"{url}/tags/{{tag}}"),
            "pb:record-deployment": per_environment("deployment"),
            "pb:record-release": per_environment("release"),
        },
    }


def tag(request: Request, found: Version, name: str) -> Hal:
    url = f"{version_url(request, found.service, found.number)}/tags/{q(name)}"
    return {"name": name, "_links": {"self": {"href": url, "name": name}}}


def running(request: Request, item: Running, env: Environment, *, current: bool = True) -> Hal:
    """A deployed version (or a released one), named by its id."""
    path = _KIND_PATHS[item.kind]
    flag = "currentlyDeployed" if item.kind == "deployment" else "currentlySupported"
    return {
        "uuid": str(item.id),
        flag: current,
        "applicationInstance": None,
        "target": None,
        "createdAt": item.started_at.isoformat(),
        "_embedded": {
            "pacticipant": {
                "name": item.service,
                "_links": {"self": {"href": pacticipant_url(request, item.service)}},
            },
            "version": {
                "number": item.version,
                "_links": {"self": {"href": version_url(request, item.service, item.version)}},
            },
            "environment": environment(request, env),
        },
        "_links": {"self": {"href": f"{base(request)}/{path}/{item.id}"}},
    }


def running_list(request: Request, items: Sequence[Running], env: Environment, kind: str) -> Hal:
    key = "deployedVersions" if kind == "deployment" else "releasedVersions"
    return {
        "_embedded": {key: [running(request, i, env) for i in items]},
        "_links": {"self": {"href": str(request.url)}},
    }


def _template(href: str) -> Hal:
    return {"href": href, "templated": True}
