"""The flags REST resources and the SDK endpoints (thin: parse, call the service, return).

The SDK stream waits on a ``Broadcaster`` that the composition root subscribes to ``FlagsChanged``
(bus subscriptions are wired in ``orgloop.app`` only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from orgloop.flags.models import (
    EnvironmentConfig,
    ExplainRequest,
    Explanation,
    Flag,
    FlagCreate,
    FlagPage,
    FlagUpdate,
    SavedGroup,
    SavedGroupCreate,
    SavedGroupPage,
    SavedGroupUpdate,
)
from orgloop.flags.ruleset_schema import EXAMPLE, SdkRuleset
from orgloop.flags.saved_groups import SavedGroupService, group_etag
from orgloop.flags.service import FlagService, flag_etag
from orgloop.flags.stream import HEARTBEAT_SECONDS, Broadcaster, ruleset_events
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Forbidden, InvalidInput
from orgloop.kernel.http import (
    ETAG_RESPONSES,
    IF_MATCH_RESPONSES,
    Caller,
    IfMatch,
    Offset,
    with_etag,
)
from orgloop.kernel.models import AuditEntry, Page
from orgloop.kernel.responses import strict_json

Env = Annotated[str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")]


def build_router(
    *,
    flags: FlagService,
    broadcaster: Broadcaster,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> APIRouter:
    """The flags routes; ``broadcaster`` must be subscribed to ``FlagsChanged`` on the bus."""
    router = APIRouter(prefix="/api/v1", tags=["flags"])
    _flag_routes(router, flags)
    _environment_routes(router, flags)
    _saved_group_routes(router, flags.groups)
    _sdk_routes(router, flags, broadcaster, heartbeat_seconds)
    return router


def _flag_routes(router: APIRouter, flags: FlagService) -> None:
    @router.post("/flags", status_code=201)
    def create_flag(body: FlagCreate, caller: Caller) -> Flag:
        return flags.create_flag(body, actor=caller)

    @router.get("/flags")
    def list_flags(
        caller: Caller,
        owner: str | None = None,
        tag: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> FlagPage:
        caller.require_read()
        return flags.list_flags(owner=owner, tag=tag, limit=limit, offset=offset)

    @router.get("/flags/{key}", responses=ETAG_RESPONSES)
    def get_flag(key: str, caller: Caller, response: Response) -> Flag:
        """The flag, with its ``ETag``: send it back as ``If-Match`` to change it safely."""
        caller.require_read()
        return with_etag(response, flags.get_flag(key), flag_etag)

    @router.patch("/flags/{key}", responses=IF_MATCH_RESPONSES)
    def update_flag(
        key: str, body: FlagUpdate, caller: Caller, response: Response, if_match: IfMatch = None
    ) -> Flag:
        flag = flags.update_flag(key, body, actor=caller, if_match=if_match)
        return with_etag(response, flag, flag_etag)

    @router.delete("/flags/{key}", status_code=204)
    def delete_flag(key: str, caller: Caller) -> None:
        flags.delete_flag(key, actor=caller)

    @router.get("/flags/{key}/history")
    def history(
        key: str, caller: Caller, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> Page[AuditEntry]:
        """Every change to the flag, newest first, from the audit log."""
        return flags.history(key, actor=caller, limit=limit)

    @router.post("/flags/{key}/explain")
    def explain(key: str, body: ExplainRequest, caller: Caller) -> Explanation:
        """Which rule a unit with these attributes matches in an environment, and why."""
        caller.require_read()
        return flags.explain(key, environment=body.environment, attributes=body.attributes)


def _environment_routes(router: APIRouter, flags: FlagService) -> None:
    @router.put("/flags/{key}/environments/{env}", responses=IF_MATCH_RESPONSES)
    def set_environment(
        key: str,
        env: str,
        body: EnvironmentConfig,
        caller: Caller,
        response: Response,
        if_match: IfMatch = None,
    ) -> Flag:
        """Replace the flag's on/off state and ordered rules in one environment.

        Send the flag's ``ETag`` (from ``GET``) as ``If-Match`` so that a change someone made
        since is not overwritten: 412 if there was one."""
        flag = flags.set_environment(key, _env(env), body, actor=caller, if_match=if_match)
        return with_etag(response, flag, flag_etag)

    @router.post("/flags/{key}/environments/{env}/toggle")
    def toggle(key: str, env: str, on: bool, caller: Caller) -> Flag:
        return flags.toggle(key, _env(env), on=on, actor=caller)

    @router.post("/flags/{key}/kill")
    def kill(key: str, env: Env, caller: Caller) -> Flag:
        """The kill switch: turn the flag off in ``env`` now (rules are kept)."""
        return flags.kill(key, env, actor=caller)


def _saved_group_routes(router: APIRouter, groups: SavedGroupService) -> None:
    @router.post("/saved-groups", status_code=201)
    def create_saved_group(body: SavedGroupCreate, caller: Caller) -> SavedGroup:
        """A named list of attribute values that `$inGroup` / `$notInGroup` conditions use."""
        return groups.create_group(body, actor=caller)

    @router.get("/saved-groups")
    def list_saved_groups(
        caller: Caller,
        owner: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> SavedGroupPage:
        caller.require_read()
        return groups.list_groups(owner=owner, limit=limit, offset=offset)

    @router.get("/saved-groups/{key}", responses=ETAG_RESPONSES)
    def get_saved_group(key: str, caller: Caller, response: Response) -> SavedGroup:
        """The group, with its ``ETag``: send it back as ``If-Match`` to change it safely."""
        caller.require_read()
        return with_etag(response, groups.get_group(key), group_etag)

    @router.put("/saved-groups/{key}", responses=IF_MATCH_RESPONSES)
    def update_saved_group(
        key: str,
        body: SavedGroupUpdate,
        caller: Caller,
        response: Response,
        if_match: IfMatch = None,
    ) -> SavedGroup:
        """Replace the group's owner, description and values; SDKs using it are told at once.
        With the group's ``ETag`` as ``If-Match``, only if nobody changed it since (else 412)."""
        group = groups.update_group(key, body, actor=caller, if_match=if_match)
        return with_etag(response, group, group_etag)

    @router.delete("/saved-groups/{key}", status_code=204)
    def delete_saved_group(key: str, caller: Caller) -> None:
        """Refused with 409, naming the flags, while a flag rule still uses the group."""
        groups.delete_group(key, actor=caller)


def _sdk_routes(
    router: APIRouter, flags: FlagService, broadcaster: Broadcaster, heartbeat: float
) -> None:
    @router.get(
        "/sdk/ruleset",
        tags=["sdk"],
        responses={
            200: {
                "model": SdkRuleset,
                "content": {"application/json": {"example": EXAMPLE}},
            },
            304: {"description": "Not modified: the ETag given in If-None-Match is current."},
        },
    )
    def ruleset(
        caller: Caller,
        environment: Env | None = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The compiled ruleset of the SDK key's environment; ``If-None-Match`` gives 304."""
        payload, etag = flags.ruleset(_sdk_environment(caller, environment))
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if if_none_match is not None and _matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        body = strict_json(payload, separators=(",", ":"))  # RFC 8259 for every SDK's parser
        return Response(body, media_type="application/json", headers=headers)

    @router.get(
        "/sdk/stream",
        tags=["sdk"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "A stream of server-sent events (``retry``, ``event: ruleset``, "
                "heartbeat comments).",
                "content": {
                    "text/event-stream": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "event": {"type": "string", "enum": ["ruleset"]},
                                "data": {"type": "string", "description": '{"etag": "..."}'},
                                "retry": {"type": "integer"},
                            },
                        }
                    }
                },
            }
        },
    )
    async def stream(caller: Caller, environment: Env | None = None) -> StreamingResponse:
        """Server-sent events: ``event: ruleset`` with the new ETag after each change."""
        env = _sdk_environment(caller, environment)

        async def current() -> str:
            return (await run_in_threadpool(flags.ruleset, env))[1]

        events = ruleset_events(broadcaster, env, current, heartbeat=heartbeat)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def _env(env: str) -> str:
    if (
        not env
        or len(env) > 100
        or not env.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise InvalidInput.at("env", "an environment name is letters, digits, '-', '_' or '.'")
    return env


def _sdk_environment(caller: Principal, environment: str | None) -> str:
    """An SDK key reads its own environment; other readers name one with ``?environment=``."""
    if caller.role == "sdk":
        if environment is not None and environment != caller.environment:
            raise Forbidden(f"this SDK key is for environment {caller.environment!r}")
        return caller.environment or ""
    caller.require_read()
    if environment is None:
        raise InvalidInput.at("environment", "name the environment: ?environment=production")
    return environment


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
