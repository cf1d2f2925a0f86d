"""OFREP endpoints: ``POST /ofrep/v1/evaluate/flags/{key}`` and the bulk ``/ofrep/v1/evaluate/flags``.

OpenFeature's remote-evaluation providers (any language) evaluate orgloop's flags on the server:
the SDK key's environment, orgloop's engine, OpenFeature's reasons (``ofrep.py`` shapes the bodies).
The key comes as ``Authorization: Bearer <sdk key>`` or ``X-API-Key: <sdk key>`` (the providers
send whichever header they are configured with). The bulk answer carries a strong ETag;
``If-None-Match`` with it gives 304.

An experiment assignment records an exposure, as the SDK does, through ``record_exposures``: the
composition root hands in the event ingest (flags is a lower slice than experiments, so it only
knows the callable). These routes follow OpenFeature's specification rather than orgloop's API
conventions, so they are left out of ``/api/v1``'s OpenAPI document.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from orgloop.flags.engine import Evaluator, Result, openfeature_resolution, ruleset_from_dict
from orgloop.flags.ofrep import OfrepRefusal, answer, body_etag, exposure, parse_context
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Forbidden, Unauthenticated

log = logging.getLogger(__name__)

RecordExposures = Callable[[str, list[dict[str, Any]]], None]
"""``(environment, exposure events)``: stores the events (they carry no ``id`` nor timestamp)."""


class Evaluators:
    """One ``Evaluator`` per environment, rebuilt when the environment's ruleset ETag changes."""

    def __init__(self, flags: FlagService) -> None:
        self._flags = flags
        self._lock = threading.Lock()
        self._by_env: dict[str, tuple[str, Evaluator]] = {}

    def get(self, environment: str) -> tuple[str, Evaluator]:
        payload, etag = self._flags.ruleset(environment)
        with self._lock:
            cached = self._by_env.get(environment)
            if cached is not None and cached[0] == etag:
                return cached
        entry = (etag, Evaluator(ruleset_from_dict(payload)))
        with self._lock:
            self._by_env[environment] = entry
        return entry


def build_router(
    *, flags: FlagService, record_exposures: RecordExposures | None = None
) -> APIRouter:
    """The OFREP routes; ``record_exposures`` receives the exposures of experiment assignments."""
    router = APIRouter(prefix="/ofrep/v1", tags=["ofrep"], include_in_schema=False)
    evaluators = Evaluators(flags)

    def evaluate(
        env: str, keys: list[str] | None, attributes: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        etag, evaluator = evaluators.get(env)
        results: list[tuple[str, Result]] = [
            (key, evaluator.evaluate(key, attributes))
            for key in (keys if keys is not None else sorted(evaluator.ruleset.flags))
        ]
        exposures = [e for _, r in results if (e := exposure(r)) is not None]
        if exposures and record_exposures is not None:
            try:
                record_exposures(env, exposures)
            except Exception:  # an evaluation is answered even when its exposure is not kept
                log.exception("OFREP: could not record %d exposures", len(exposures))
        flags_ = evaluator.ruleset.flags
        answers = [answer(k, openfeature_resolution(k, r, flags_.get(k))) for k, r in results]
        return etag, answers

    @router.post("/evaluate/flags/{key}")
    async def evaluate_flag(
        key: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Response:
        """One flag for one context: 200 with the value, 404 ``FLAG_NOT_FOUND``, 400 if bad."""
        env = await _environment(request, authorization, x_api_key)
        try:
            attributes = parse_context(await request.body())
        except OfrepRefusal as refusal:
            return _json(refusal.body(key), refusal.status)
        _, answers = await run_in_threadpool(evaluate, env, [key], attributes)
        body = answers[0]
        if body.get("errorCode") == "FLAG_NOT_FOUND":
            return _json(body, 404)
        return _json(body, 500 if "errorCode" in body else 200)

    @router.post("/evaluate/flags")
    async def evaluate_flags(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Every flag of the environment for one context, with an ETag (304 when unchanged)."""
        env = await _environment(request, authorization, x_api_key)
        try:
            attributes = parse_context(await request.body())
        except OfrepRefusal as refusal:
            return _json(refusal.body(), refusal.status)
        ruleset_etag, answers = await run_in_threadpool(evaluate, env, None, attributes)
        etag = body_etag(ruleset_etag, attributes)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers=headers)
        return _json({"flags": answers}, 200, headers)

    return router


async def _environment(request: Request, authorization: str | None, api_key: str | None) -> str:
    """The environment of the SDK key sent as a bearer token or in ``X-API-Key``."""
    token = api_key
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            token = credentials.strip()
    if not token:
        raise Unauthenticated(
            "send an SDK key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )
    authenticate: Callable[[str], Principal] = request.app.state.authenticate
    principal = await run_in_threadpool(authenticate, token)
    if principal.role != "sdk" or not principal.environment:
        raise Forbidden(
            f"OFREP evaluates for an SDK key's environment; this is a {principal.role} token"
        )
    return principal.environment


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status_code=status, media_type="application/json", headers=headers)
