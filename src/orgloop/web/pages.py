"""The dashboard's routes: every page is HTML, and JSON at the same path plus ``.json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from orgloop.catalog.service import CatalogService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import OrgloopError, Unauthenticated
from orgloop.web import login, overview, session, views
from orgloop.web.nav import COMING
from orgloop.web.reader import Reader
from orgloop.web.render import as_json, html, wants_json
from orgloop.web.servicegraph import graph_view, read_graph

Build = Callable[..., dict[str, Any]]


def build_router(*, catalog: CatalogService) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    reader = Reader(catalog)
    login.add_routes(router)
    pages: list[tuple[str, str, Build]] = [
        ("/", "dashboard.html", overview.dashboard),
        ("/teams", "teams.html", overview.teams),
        ("/teams/{name}", "team.html", views.team_page),
        ("/services", "services.html", overview.services),
        ("/services/{name}", "service.html", views.service_page),
        ("/apis", "apis.html", overview.apis),
        ("/apis/{name}", "api.html", views.api_page),
        ("/systems", "systems.html", overview.systems),
        ("/systems/{name}", "system.html", views.system_page),
        ("/groups", "groups.html", overview.group_tree),
        ("/graph", "graph.html", _graph),
    ]
    for path, template, build in pages:
        _add(router, path, template, _bound(build, reader))
    for path, coming in COMING.items():
        _add(router, path, "coming.html", _constant({"coming": coming}))
    return router


def _graph(reader: Reader) -> dict[str, Any]:
    return {"graph": graph_view(read_graph(reader), title="Service dependency graph")}


def _bound(build: Build, reader: Reader) -> Build:
    return lambda **params: build(reader, **params)


def _constant(data: dict[str, Any]) -> Build:
    return lambda **_params: data


def _add(router: APIRouter, path: str, template: str, build: Build) -> None:
    def endpoint(request: Request) -> Response:
        params = dict(request.path_params)
        return serve(request, template, lambda: build(**params))

    twin = "/.json" if path == "/" else f"{path}.json"
    # The twin first: "/teams/{name}" would otherwise take "checkout.json" as the name.
    router.add_api_route(twin, endpoint, methods=["GET"], name=f"{template}.json")
    router.add_api_route(path, endpoint, methods=["GET"], name=template)


def serve(request: Request, template: str, build: Callable[[], dict[str, Any]]) -> Response:
    """Log in from ``?token=``, check the caller, build the data, answer as HTML or JSON."""
    token = request.query_params.get("token")
    if token is not None:
        return login.from_query(request, token)
    principal = session.caller(request)
    if principal is None:
        return _login_needed(request)
    try:
        principal.require_read()
        data = build()
    except OrgloopError as exc:
        return error(request, exc, principal)
    if wants_json(request):
        return as_json(data)
    return html(request, template, data, principal=principal)


def _login_needed(request: Request) -> Response:
    if wants_json(request):
        problem = Unauthenticated("log in at /login or send 'Authorization: Bearer <token>'")
        return as_json(problem.to_dict(), status=401)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)


def error(request: Request, exc: OrgloopError, principal: Principal | None) -> Response:
    if wants_json(request):
        return as_json(exc.to_dict(), status=exc.status)
    data = {"status": exc.status, "message": exc.message, "code": exc.code}
    return html(request, "error.html", data, principal=principal, status=exc.status)
