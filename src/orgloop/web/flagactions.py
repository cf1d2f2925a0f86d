"""The kill switch: a POST form on a flag's page that turns the flag off in one environment.

The form carries a token tied to the session (``csrf``); the flags service checks that the caller
may change the flag (a member only its own team's) and records the change in the audit log.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from orgloop.flags.service import FlagService
from orgloop.kernel.errors import Forbidden, NotFound, OrgloopError
from orgloop.web import csrf, session
from orgloop.web.serving import error, login_needed


def add_routes(router: APIRouter, flags: FlagService) -> None:
    @router.post("/flags/{key}/kill")
    def kill(
        request: Request,
        key: str,
        environment: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        principal = session.caller(request)
        if principal is None:
            return login_needed(request)
        try:
            if not csrf.valid(session.token_of(request), token):
                raise Forbidden(
                    "this form did not come from your dashboard session (or the session changed); "
                    "reload the flag's page and press the kill switch again"
                )
            if environment not in flags.get_flag(key).environments:
                raise NotFound(f"flag {key!r} is not configured in environment {environment!r}")
            flags.kill(key, environment, actor=principal)
        except OrgloopError as exc:
            return error(request, exc, principal)
        target = f"/flags/{quote(key)}?{urlencode({'killed': environment})}"
        return RedirectResponse(target, status_code=303)
