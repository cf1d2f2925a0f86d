"""``orgloop.sdk.instrument``: OpenTelemetry for a service in one call, exporting to orgloop.

Sets up a tracer provider with the service's resource attributes, a batch processor with the
OTLP/HTTP exporter (``POST <url>/v1/traces``, the SDK key as bearer token), W3C trace-context and
baggage propagation, the ASGI server span (with ``http.route`` and the flag variations the request
saw, see ``orgloop.sdk.variants``) and client spans for outgoing httpx calls. OpenTelemetry is
imported only here, and only when ``instrument`` is called: ``import orgloop.sdk`` stays light.
Needs the ``telemetry`` extra (``pip install 'orgloop[telemetry]'``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orgloop.sdk.variants import recording, span_attributes

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HTTPX_EXCLUDED = "OTEL_PYTHON_HTTPX_EXCLUDED_URLS"
_MISSING_EXTRA = (
    "orgloop.sdk.instrument needs OpenTelemetry: pip install 'orgloop[telemetry]' "
    "(opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http, "
    "opentelemetry-instrumentation-asgi, opentelemetry-instrumentation-httpx)"
)


@dataclass
class Telemetry:
    """What ``instrument`` set up: the provider (to flush or shut down) and an ASGI wrapper."""

    provider: TracerProvider
    service: str

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Any ASGI application with the server span and variant recording around it."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        middleware: ASGIApp = OpenTelemetryMiddleware(
            VariantsMiddleware(app),
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
        )
        return middleware

    def flush(self, timeout_millis: int = 30_000) -> bool:
        """Export every finished span now (tests, a job's end)."""
        return self.provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush, stop exporting and undo the httpx instrumentation."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        instrumentor = HTTPXClientInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        self.provider.shutdown()


class VariantsMiddleware:
    """Inside the server span: records flag evaluations and the matched route onto that span."""

    def __init__(self, app: ASGIApp) -> None:
        from opentelemetry import trace

        self.app = app
        self._current_span = trace.get_current_span

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span = self._current_span()
        if not span.is_recording():
            await self.app(scope, receive, send)
            return

        ended = False

        def annotate() -> None:
            _name_by_route(span, scope)
            if seen:
                span.set_attributes(span_attributes(seen))

        async def sending(message: Message) -> None:
            # The server span ends with the last body message: annotate it just before, again
            # with whatever was evaluated while a streamed body was produced.
            nonlocal ended
            kind = message["type"]
            last = kind == "http.response.body" and not message.get("more_body", False)
            if kind == "http.response.start" or last:
                annotate()
            ended = ended or last
            await send(message)

        with recording() as seen:
            try:
                await self.app(scope, receive, sending)
            finally:
                if not ended:  # no response sent (an exception): the span is still open here
                    annotate()


def _name_by_route(span: Any, scope: Scope) -> None:
    # Starlette and FastAPI leave the matched route in the scope; the graph groups by template.
    template = getattr(scope.get("route"), "path_format", None) or getattr(
        scope.get("route"), "path", None
    )
    if isinstance(template, str):
        span.set_attribute("http.route", template)
        span.update_name(f"{scope.get('method', 'GET')} {template}")


def instrument(
    app: Any = None,
    *,
    service: str,
    version: str | None = None,
    url: str | None = None,
    sdk_key: str | None = None,
    environment: str | None = None,
    resource_attributes: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
    httpx: bool = True,
    set_global: bool = True,
) -> Telemetry:
    """Trace this service into orgloop; instruments ``app`` (Starlette or FastAPI) in place.

    ``url`` is orgloop's base URL (spans go to ``<url>/v1/traces``); without it, the exporter
    reads the standard ``OTEL_EXPORTER_OTLP_*`` variables. ``exporter`` replaces the OTLP
    exporter (tests). Any other ASGI application: ``app = telemetry.wrap(app)``.
    """
    if not service:
        raise ValueError("instrument(service=...) needs the service's name (service.name)")
    # The stable HTTP attribute names (server.address, http.response.status_code, url.full) are
    # what the service graph reads; read once per process, before the first instrumentation.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    try:
        from opentelemetry import propagate, trace
        from opentelemetry.baggage.propagation import W3CBaggagePropagator
        from opentelemetry.propagators.composite import CompositePropagator
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(_MISSING_EXTRA) from exc

    attributes: dict[str, str] = {"service.name": service, **(resource_attributes or {})}
    if version:
        attributes["service.version"] = version
    if environment:
        attributes["deployment.environment.name"] = environment
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(exporter or _otlp_exporter(url, sdk_key)))
    propagate.set_global_textmap(
        CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
    )
    if set_global:
        trace.set_tracer_provider(provider)
    telemetry = Telemetry(provider=provider, service=service)
    if httpx:
        if url is not None:
            _exclude_orgloop_api(url)
        _instrument_httpx(provider)
    if app is not None:
        _instrument_app(app, telemetry)
    return telemetry


def _otlp_exporter(url: str | None, sdk_key: str | None) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if url is None:
        return OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and friends
    headers = {"Authorization": f"Bearer {sdk_key}"} if sdk_key else None
    return OTLPSpanExporter(endpoint=url.rstrip("/") + "/v1/traces", headers=headers)


def _exclude_orgloop_api(url: str) -> None:
    # The flag client's own calls (ruleset, stream, events) are not the service's traffic: left
    # untraced, they stay off the service graph. Read by the instrumentation when it starts.
    ours = re.escape(url.rstrip("/")) + "/api/v1/"
    current = os.environ.get(_HTTPX_EXCLUDED)
    if not current:
        os.environ[_HTTPX_EXCLUDED] = ours
    elif ours not in current.split(","):
        os.environ[_HTTPX_EXCLUDED] = f"{current},{ours}"


def _instrument_httpx(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()  # the last call's provider wins
    instrumentor.instrument(tracer_provider=provider)


def _instrument_app(app: Any, telemetry: Telemetry) -> None:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    if not hasattr(app, "add_middleware"):
        raise TypeError(
            "instrument(app) adds middleware to Starlette or FastAPI applications; for any "
            "other ASGI application call instrument(service=...) and serve telemetry.wrap(app)"
        )
    # Starlette runs the last middleware added first: the server span opens around the recorder.
    app.add_middleware(VariantsMiddleware)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=telemetry.provider,
        exclude_spans=["receive", "send"],
    )


__all__ = ["Telemetry", "VariantsMiddleware", "instrument"]
