"""``GET /metrics``: the service graph for Prometheus, in the servicegraph connector's names.

Needs a bearer token (any role but an SDK key; a viewer token is the one to give Prometheus:
``authorization: {credentials: <token>}`` in the scrape config), unless the server runs with
``ORGLOOP_METRICS_PUBLIC=true`` for a scrape path that cannot send one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgloop.kernel.errors import Forbidden, Unauthenticated
from orgloop.traces.exposition import CONTENT_TYPE
from orgloop.traces.service import TraceService


def build_router(*, traces: TraceService, public: bool = False) -> APIRouter:
    router = APIRouter(tags=["traces"])

    @router.get(
        "/metrics",
        summary="The service graph in the Prometheus text format (servicegraph connector names)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}, "description": "exposition text"}},
    )
    def metrics(request: Request) -> Response:
        if not public:
            _require_reader(request)
        return Response(traces.metrics_text(), media_type=CONTENT_TYPE)

    return router


def _require_reader(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send a token: 'Authorization: Bearer <token>' (a viewer token)")
    principal = request.app.state.authenticate(token.strip())
    if principal.role == "sdk":
        raise Forbidden("an SDK key cannot read /metrics; give Prometheus a viewer token")
