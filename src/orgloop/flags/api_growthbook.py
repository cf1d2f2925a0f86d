"""The GrowthBook-compatible SDK endpoint: ``GET /growthbook/api/features/{clientKey}``.

GrowthBook's SDKs (JavaScript, Go, Java, Python, ...) load ``{apiHost}/api/features/{clientKey}``;
with ``apiHost = <orgloop>/growthbook`` and an orgloop SDK key as the client key they load the key's
environment (``growthbook.py`` builds the payload) and evaluate orgloop's flags locally. The key is
in the path because that is where those SDKs put it; only SDK keys are accepted there (a URL ends
up in logs; an SDK key only reads its environment's flags). ``If-None-Match`` with the ETag gives
304. The route follows GrowthBook's API, not orgloop's conventions, so it is left out of
``/api/v1``'s OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from orgloop.flags.growthbook import growthbook_payload
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Forbidden

PREFIX = "/growthbook"


def build_router(*, flags: FlagService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["growthbook"], include_in_schema=False)

    def load(environment: str) -> tuple[str, str]:
        payload, etag = flags.ruleset(environment)
        body = json.dumps(growthbook_payload(payload), separators=(",", ":"))
        return f'"gb-{etag.strip(chr(34))}"', body

    @router.get("/api/features/{client_key}")
    async def features(
        client_key: str,
        request: Request,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The environment's features in GrowthBook's payload format."""
        authenticate: Callable[[str], Principal] = request.app.state.authenticate
        principal = await run_in_threadpool(authenticate, client_key)
        if principal.role != "sdk" or not principal.environment:
            raise Forbidden(
                "the GrowthBook endpoint takes an SDK key as the client key "
                f"(a URL ends up in logs); this is a {principal.role} token"
            )
        etag, body = await run_in_threadpool(load, principal.environment)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    return router
