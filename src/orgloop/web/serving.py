"""Answering one page: log in from ``?token=``, check the caller, build the data, HTML or JSON.

Every route of the dashboard goes through ``serve``; ``add_page`` registers a page and its JSON
twin (the same path plus ``.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import OrgloopError, Unauthenticated
from orgloop.web import login, session
from orgloop.web.render import as_json, html, wants_json

PageBuild = Callable[[Request, Principal], dict[str, Any]]
"""The data of one page, from the request (path and query parameters) and who is asking."""


def add_page(router: APIRouter, path: str, template: str, build: PageBuild) -> None:
    def endpoint(request: Request) -> Response:
        return serve(request, template, lambda principal: build(request, principal))

    twin = "/.json" if path == "/" else f"{path}.json"
    # The twin first: "/teams/{name}" would otherwise take "checkout.json" as the name.
    router.add_api_route(twin, endpoint, methods=["GET"], name=f"{template}.json")
    router.add_api_route(path, endpoint, methods=["GET"], name=template)


def serve(
    request: Request, template: str, build: Callable[[Principal], dict[str, Any]]
) -> Response:
    """Log in from ``?token=``, check the caller, build the data, answer as HTML or JSON."""
    token = request.query_params.get("token")
    if token is not None:
        return login.from_query(request, token)
    principal = session.caller(request)
    if principal is None:
        return login_needed(request)
    try:
        principal.require_read()
        data = build(principal)
    except OrgloopError as exc:
        return error(request, exc, principal)
    if wants_json(request):
        return as_json(data)
    return html(request, template, data, principal=principal)


def login_needed(request: Request) -> Response:
    if wants_json(request):
        problem = Unauthenticated("log in at /login or send 'Authorization: Bearer <token>'")
        return as_json(problem.to_dict(), status=401)
    if session.token_of(request):
        return login.rejected(request)  # a token was sent but is unknown or revoked: 401
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)


def error(request: Request, exc: OrgloopError, principal: Principal | None) -> Response:
    if wants_json(request):
        return as_json(exc.to_dict(), status=exc.status)
    data = {"status": exc.status, "message": exc.message, "code": exc.code}
    return html(request, "error.html", data, principal=principal, status=exc.status)
