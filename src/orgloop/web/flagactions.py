"""The kill switch and its undo: POST forms on a flag's page, one environment at a time.

Killing asks first: a kill form posted without ``confirm=yes`` answers a page that says what will
happen and holds the confirming form (no JavaScript needed; ``/static/confirm.js`` asks in a
dialog instead when scripts run).  Undo turns an environment back on only when the kill switch
turned it off.  Every form carries a token tied to the session (``csrf``); the flags service checks
that the caller may change the flag (a member only its own team's) and audits both changes
(``flag.kill``, then ``flag.toggle.on``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from orgloop.flags.models import Flag
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Conflict, Forbidden, NotFound, OrgloopError
from orgloop.web import csrf, session
from orgloop.web.flagrules import value_text
from orgloop.web.killswitch import kills
from orgloop.web.render import html
from orgloop.web.serving import error, login_needed

CONFIRM = "yes"


def add_routes(router: APIRouter, flags: FlagService) -> None:
    @router.post("/flags/{key}/kill")
    def kill(
        request: Request,
        key: str,
        environment: Annotated[str, Form()] = "",
        confirm: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        principal = session.caller(request)
        if principal is None:
            return login_needed(request)
        try:
            flag = _checked(request, flags, key, environment, token)
            if confirm != CONFIRM:
                return _confirmation(request, principal, flag, environment)
            flags.kill(key, environment, actor=principal)
        except OrgloopError as exc:
            return error(request, exc, principal)
        return _back(key, killed=environment)

    @router.post("/flags/{key}/restore")
    def restore(
        request: Request,
        key: str,
        environment: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        principal = session.caller(request)
        if principal is None:
            return login_needed(request)
        try:
            flag = _checked(request, flags, key, environment, token)
            history = flags.history(key, actor=principal).items
            if environment not in kills(flag, history):
                raise Conflict(
                    f"flag {key!r} was not turned off in {environment!r} by the kill switch, "
                    "so there is no kill to undo; change it with 'orgloop flags' instead"
                )
            flags.toggle(key, environment, on=True, actor=principal)
        except OrgloopError as exc:
            return error(request, exc, principal)
        return _back(key, restored=environment)


def _checked(request: Request, flags: FlagService, key: str, environment: str, token: str) -> Flag:
    """The flag, once the form proved it came from this session and names a known environment."""
    if not csrf.valid(session.token_of(request), token):
        raise Forbidden(
            "this form did not come from your dashboard session (or the session changed); "
            "reload the flag's page and press the button again"
        )
    flag = flags.get_flag(key)
    if environment not in flag.environments:
        raise NotFound(f"flag {key!r} is not configured in environment {environment!r}")
    return flag


def _confirmation(request: Request, principal: Principal, flag: Flag, environment: str) -> Response:
    config = flag.environments[environment]
    data = {
        "flag": {"key": flag.key, "href": f"/flags/{quote(flag.key)}",
                 "default": value_text(flag.default_value)},
        "environment": environment,
        "enabled": config.enabled,
        "rules": len(config.rules),
        "csrf": csrf.token_for(session.token_of(request) or ""),
    }  # fmt: skip
    return html(request, "kill_confirm.html", data, principal=principal)


def _back(key: str, **outcome: str) -> Response:
    return RedirectResponse(f"/flags/{quote(key)}?{urlencode(outcome)}", status_code=303)
