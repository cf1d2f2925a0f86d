"""Logging in to the dashboard: a token typed once into a form, or passed once as ``?token=``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from orgloop.web import session
from orgloop.web.render import html


def add_routes(router: APIRouter) -> None:
    @router.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        return _form(request, next=session.safe_next(next))

    @router.post("/login")
    def login(
        request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
    ) -> Response:
        target = session.safe_next(next)
        if not same_origin(request):
            return _cross_site(request)
        if not token.strip() or session.check(request, token.strip()) is None:
            return _form(request, next=target, problem="That token is unknown or revoked.")
        response = RedirectResponse(target, status_code=303)
        session.remember(response, request, token.strip())
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        if not same_origin(request):
            return _cross_site(request)
        response = RedirectResponse("/login", status_code=303)
        session.forget(response)
        return response


def from_query(request: Request, token: str) -> Response:
    """``/any/page?token=...``: set the cookie, then show the page without the token in the URL."""
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    here = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    if session.check(request, token) is None:
        return _form(request, next=here, problem="The token in the link is unknown or revoked.")
    response = RedirectResponse(here, status_code=303)
    session.remember(response, request, token)
    return response


def rejected(request: Request) -> Response:
    """The login form again (401) for a session whose token is unknown or revoked."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    problem = "Your token is unknown or has been revoked; log in with another."
    response = _form(request, next=session.safe_next(here), problem=problem)
    session.forget(response)
    return response


def same_origin(request: Request) -> bool:
    """A browser names the page a POST comes from (``Origin``, else ``Referer``): it must be
    this server.  A request naming neither is not from a browser page, so no other site's."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return True
    if sent == "null":
        return False
    ours = urlsplit(str(request.base_url))
    theirs = urlsplit(sent)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def _cross_site(request: Request) -> Response:
    data = {
        "status": 403,
        "code": "forbidden",
        "message": "This form was sent from another site; log in from this server's own page.",
    }
    return html(request, "error.html", data, principal=None, status=403)


def _form(request: Request, *, next: str, problem: str | None = None) -> Response:
    data = {"next": next, "problem": problem}
    return html(request, "login.html", data, principal=None, status=401 if problem else 200)
