"""The Pact Broker resources of what clients record besides pacts: environments, pacticipants,
versions with branches and tags, and deployed or released versions (one route per resource).

Reads need any token but an SDK key; writes need the rights orgloop's own API asks for: a
member changes only its team's services (403 naming the owner), environments are created by
an admin. Deployments and releases go through ``ContractService`` like ``orgloop deployments``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from orgloop.contracts.broker import hal_records as hr
from orgloop.contracts.broker.hal import Hal
from orgloop.contracts.broker.models import EnvironmentCreate, PacticipantUpdate, RecordRunning
from orgloop.contracts.models import DeploymentCreate
from orgloop.contracts.pacticipants import Running
from orgloop.contracts.service import ContractService
from orgloop.kernel.errors import InvalidInput, NotFound
from orgloop.kernel.http import MAX_INTEGER, Caller

RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]

_PACTICIPANT = "/pacticipants/{pacticipant}"
_VERSION = _PACTICIPANT + "/versions/{version}"


def add_routes(router: APIRouter, contracts: ContractService) -> None:
    _environment_routes(router, contracts)
    _pacticipant_routes(router, contracts)
    _version_routes(router, contracts)
    _running_routes(router, contracts)


def _environment_routes(router: APIRouter, contracts: ContractService) -> None:
    records = contracts.broker

    @router.get("/environments")
    def list_environments(request: Request, caller: Caller) -> Hal:
        """orgloop's environments: those created here and those deployments name."""
        caller.require_read()
        return hr.environments(request, records.environments())

    @router.post("/environments", status_code=201)
    def create_environment(body: EnvironmentCreate, request: Request, caller: Caller) -> Hal:
        """Create an environment (admin token)."""
        env = records.create_environment(
            body.name, display_name=body.display_name, production=body.production, actor=caller
        )
        return hr.environment(request, env)

    @router.get("/environments/{key}")
    def environment(key: str, request: Request, caller: Caller) -> Hal:
        """An environment by its uuid (or its name)."""
        caller.require_read()
        return hr.environment(request, records.environment(key))


def _pacticipant_routes(router: APIRouter, contracts: ContractService) -> None:
    records = contracts.broker

    @router.get("/pacticipants")
    def list_pacticipants(request: Request, caller: Caller) -> Hal:
        """The catalog's components: pacticipants are catalog services."""
        caller.require_read()
        return hr.pacticipants(request, records.pacticipants())

    @router.post("/pacticipants", status_code=201)
    def create_pacticipant(body: PacticipantUpdate, request: Request, caller: Caller) -> Hal:
        """Pacticipants are declared in the catalog: this sets the metadata of one it knows,
        and is a 404 naming any other."""
        if not body.name:
            raise InvalidInput.at("name", "name the pacticipant")
        try:
            contracts.owner_of(body.name)
        except NotFound:
            raise InvalidInput.at(
                "name",
                f"no service {body.name!r} in the catalog: pacticipants are the catalog's "
                "components; add it to the catalog first",
            ) from None
        return _update(request, caller, body.name, body)

    @router.get(_PACTICIPANT)
    def pacticipant(pacticipant: str, request: Request, caller: Caller) -> Hal:
        caller.require_read()
        return hr.pacticipant(request, records.pacticipant(pacticipant))

    @router.patch(_PACTICIPANT)
    @router.put(_PACTICIPANT)
    async def update_pacticipant(pacticipant: str, request: Request, caller: Caller) -> Hal:
        """Set the display name, main branch or repository URL (merge-patch JSON)."""
        body = PacticipantUpdate.model_validate(await _json(request))
        return _update(request, caller, pacticipant, body)

    def _update(request: Request, caller: Caller, name: str, body: PacticipantUpdate) -> Hal:
        changes = {
            "display_name": body.display_name,
            "main_branch": body.main_branch,
            "repository_url": body.repository_url,
        }
        return hr.pacticipant(request, records.update_pacticipant(name, changes, actor=caller))


def _version_routes(router: APIRouter, contracts: ContractService) -> None:
    records = contracts.broker

    @router.get(_VERSION)
    def version(pacticipant: str, version: str, request: Request, caller: Caller) -> Hal:
        """A version with its branches, tags and where to record it deployed or released."""
        caller.require_read()
        found = records.version(pacticipant, version)
        return hr.version(request, found, records.environments())

    @router.put(_VERSION)
    def create_version(pacticipant: str, version: str, request: Request, caller: Caller) -> Hal:
        found = records.record_version(pacticipant, version, actor=caller)
        return hr.version(request, found, records.environments())

    @router.get(_PACTICIPANT + "/latest-version")
    def latest(pacticipant: str, request: Request, caller: Caller) -> Hal:
        caller.require_read()
        return hr.version(request, records.latest_version(pacticipant), records.environments())

    @router.get(_PACTICIPANT + "/latest-version/{tag}")
    def latest_tagged(pacticipant: str, tag: str, request: Request, caller: Caller) -> Hal:
        caller.require_read()
        found = records.latest_version(pacticipant, tag=tag)
        return hr.version(request, found, records.environments())

    @router.put(_PACTICIPANT + "/branches/{branch}/versions/{version}")
    def branch_version(
        pacticipant: str, branch: str, version: str, request: Request, caller: Caller
    ) -> Hal:
        found = records.record_version(pacticipant, version, branch=branch, actor=caller)
        return {"name": branch, "_links": {"self": {"href": str(request.url)}},
                "_embedded": {"version": hr.version(request, found, [])}}  # fmt: skip

    @router.put(_VERSION + "/tags/{tag}", status_code=201)
    def tag_version(
        pacticipant: str, version: str, tag: str, request: Request, caller: Caller
    ) -> Hal:
        found = records.record_version(pacticipant, version, tags=(tag,), actor=caller)
        return hr.tag(request, found, tag)


def _running_routes(router: APIRouter, contracts: ContractService) -> None:
    records = contracts.broker
    kinds = {"deployed-versions": "deployment", "released-versions": "release"}

    @router.post(_VERSION + "/{path}/environment/{uuid}", status_code=201)
    def record(
        pacticipant: str, version: str, path: str, uuid: str, body: RecordRunning,
        request: Request, caller: Caller,
    ) -> Hal:  # fmt: skip
        """Record a deployment (it replaces what ran there) or a supported release; an
        ``applicationInstance`` is accepted, and orgloop keeps one deployed version per
        service and environment."""
        kind = _kind(kinds, path)
        env = records.environment(uuid)
        create = DeploymentCreate(version=version, environment=env.name)
        if kind == "deployment":
            contracts.record_deployment(pacticipant, create, actor=caller)
        else:
            contracts.record_release(pacticipant, create, actor=caller)
        mine = records.running(env.name, kind, pacticipant)
        return hr.running(request, [r for r in mine if r.version == version][-1], env)

    @router.get("/environments/{uuid}/deployed-versions/currently-deployed")
    def deployed(
        uuid: str, request: Request, caller: Caller, pacticipant: str | None = None
    ) -> Hal:
        caller.require_read()
        env = records.environment(uuid)
        found = records.running(env.name, "deployment", pacticipant)
        return hr.running_list(request, found, env, "deployment")

    @router.get("/environments/{uuid}/released-versions/currently-supported")
    def released(
        uuid: str, request: Request, caller: Caller, pacticipant: str | None = None
    ) -> Hal:
        caller.require_read()
        env = records.environment(uuid)
        found = records.running(env.name, "release", pacticipant)
        return hr.running_list(request, found, env, "release")

    for path, kind in kinds.items():
        _running_resource(router, contracts, path, kind)


def _running_resource(router: APIRouter, contracts: ContractService, path: str, kind: str) -> None:
    records = contracts.broker
    flag = "currentlyDeployed" if kind == "deployment" else "currentlySupported"

    @router.get(f"/{path}/{{row_id}}", name=f"{path}-get")
    def running(row_id: RowId, request: Request, caller: Caller) -> Hal:
        caller.require_read()
        item = records.running_by_id(row_id, kind)
        return hr.running(request, item, records.environment(item.environment))

    @router.patch(f"/{path}/{{row_id}}", name=f"{path}-patch")
    async def end(row_id: RowId, request: Request, caller: Caller) -> Hal:
        """``{"currentlyDeployed": false}`` records an undeployment,
        ``{"currentlySupported": false}`` the end of a release's support."""
        body = await _json(request)
        if body.get(flag) is not False:
            raise InvalidInput.at(flag, f"only {flag}: false can be recorded")
        item = records.running_by_id(row_id, kind)
        _end(contracts, item, caller)
        return hr.running(request, item, records.environment(item.environment), current=False)


def _end(contracts: ContractService, item: Running, caller: Caller) -> None:
    body = DeploymentCreate(version=item.version, environment=item.environment)
    if item.kind == "deployment":
        contracts.undeploy(item.service, body, actor=caller)
    else:
        contracts.end_support(item.service, body, actor=caller)


def _kind(kinds: dict[str, str], path: str) -> str:
    if path not in kinds:
        raise NotFound(f"no resource {path!r} in the Pact Broker API")
    return kinds[path]


async def _json(request: Request) -> dict[str, Any]:
    """A JSON object body, whatever JSON content type names it (merge-patch included)."""
    try:
        body = await request.json()
    except ValueError as err:
        raise InvalidInput.at("body", f"not JSON: {err}") from None
    if not isinstance(body, dict):
        raise InvalidInput.at("body", "expected a JSON object")
    return body
