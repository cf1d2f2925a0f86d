"""Turning page data into a response: HTML through Jinja2, or its JSON twin."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from orgloop.kernel.auth import Principal
from orgloop.kernel.responses import SECURITY_HEADERS, safe_text
from orgloop.kernel.responses import SafeJSONResponse as JSONResponse
from orgloop.web import TEMPLATES_DIR
from orgloop.web.nav import SECTIONS

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every value is escaped unless it is Markup built by our own code
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}

SMALLEST_P = 0.0001
"""p-values below this are shown as ``< 0.0001``: never ``0``, and no false precision."""


def pvalue(value: float | None, *, equals: bool = False) -> str:
    """A p-value as people read it: ``< 0.0001``, ``0.0012``, ``0.043``, ``—`` when none.

    ``equals`` prefixes the value with ``= `` (for "p = 0.043"), but never a ``<``."""
    if value is None:
        return "—"
    if value < SMALLEST_P:
        return f"< {SMALLEST_P}"
    text = f"{value:.4f}" if value < 0.01 else f"{value:.3f}"
    return f"= {text}" if equals else text


_env.filters["pvalue"] = pvalue


def wants_json(request: Request) -> bool:
    """``/teams.json`` or ``Accept: application/json`` (a browser's Accept asks for HTML)."""
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_href(request: Request) -> str:
    path = request.url.path.rstrip("/") or ""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{path}.json{query}" if path else f"/.json{query}"


def html(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    principal: Principal | None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        **data,
        "nav": SECTIONS,
        "path": request.url.path,
        "json_href": json_href(request),
        "me": principal.label if principal else None,
    }
    body = _env.get_template(template).render(context)
    return HTMLResponse(safe_text(body), status_code=status, headers=HEADERS)


def as_json(data: Any, *, status: int = 200) -> JSONResponse:
    return JSONResponse(plain(data), status_code=status, headers={"Cache-Control": "no-store"})


def plain(data: Any) -> Any:
    """The data without HTML-only values (Markup, such as a drawn SVG)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items() if not isinstance(v, Markup)}
    if isinstance(data, list | tuple):
        return [plain(v) for v in data if not isinstance(v, Markup)]
    return data
