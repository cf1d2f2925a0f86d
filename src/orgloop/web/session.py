"""Who is looking at the dashboard: the token held in an HttpOnly cookie, set once at login.

A browser cannot send a bearer header on a link click, so the dashboard keeps the token in the
``orgloop_token`` cookie: HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot
make the browser send it), Secure when served over HTTPS.  Scripts may send the usual
``Authorization: Bearer`` header instead.
"""

from __future__ import annotations

from fastapi import Request, Response

from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import Unauthenticated
from orgloop.kernel.http import Authenticate

COOKIE = "orgloop_token"


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE) or None


def check(request: Request, token: str) -> Principal | None:
    """The principal of a token, or None when it is unknown or revoked."""
    authenticate: Authenticate = request.app.state.authenticate
    try:
        return authenticate(token)
    except Unauthenticated:
        return None


def caller(request: Request) -> Principal | None:
    token = token_of(request)
    return check(request, token) if token else None


def remember(response: Response, request: Request, token: str) -> None:
    """A session cookie: it ends when the browser closes, or at logout."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Only a path on this server: never ``//evil.example`` or an absolute URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
