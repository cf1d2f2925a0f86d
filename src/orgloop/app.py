"""The composition root: builds the stores, services, routers and bus subscriptions of every slice.

This module and ``main.py`` are the only places that list all slices.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from orgloop import __version__
from orgloop.catalog import api as catalog_api
from orgloop.catalog.events import CatalogChanged
from orgloop.catalog.service import CatalogService
from orgloop.contracts import api as contracts_api
from orgloop.contracts.broker import api as contracts_broker_api
from orgloop.contracts.observed import ObservedCall
from orgloop.contracts.service import ContractService
from orgloop.experiments import api as experiments_api
from orgloop.experiments.events import ExperimentAlert
from orgloop.experiments.ingest import api as experiments_ingest_api
from orgloop.experiments.ingest.parsing import IngestLimits, parse_batch
from orgloop.experiments.ingest.store import EventStore
from orgloop.experiments.service import ExperimentService, event_store_connector
from orgloop.flags import api as flags_api
from orgloop.flags import api_growthbook as flags_api_growthbook
from orgloop.flags import api_ofrep as flags_api_ofrep
from orgloop.flags.events import FlagsChanged
from orgloop.flags.service import FlagService
from orgloop.flags.stream import Broadcaster
from orgloop.insights import api as insights_api
from orgloop.insights import api_delivery as insights_api_delivery
from orgloop.insights.delivery.service import DeliveryService
from orgloop.insights.service import InsightsService
from orgloop.kernel import api as kernel_api
from orgloop.kernel import db as kernel_db
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import on_behalf_of
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock, SystemClock
from orgloop.kernel.cors import PublicKeyCors
from orgloop.kernel.fanout import Fanout
from orgloop.kernel.http import (
    BodyLimit,
    install_authentication,
    install_denial_audit,
    install_error_handlers,
)
from orgloop.kernel.ids import IdFactory, RandomIds
from orgloop.kernel.jobs import Jobs
from orgloop.kernel.jsonguard import JsonGuard
from orgloop.kernel.openapi import document_errors
from orgloop.kernel.plain import PlainRoutes
from orgloop.kernel.responses import SafeJSONResponse
from orgloop.kernel.settings import Settings
from orgloop.kernel.tokens import TokenRevoked, TokenService
from orgloop.traces import api as traces_api
from orgloop.traces import api_ingest as traces_api_ingest
from orgloop.traces import api_metrics as traces_api_metrics
from orgloop.traces.service import TraceService, trace_settings
from orgloop.traces.store import SpanStore
from orgloop.web import STATIC_DIR
from orgloop.web import deliveryviews as web_delivery
from orgloop.web import insightviews as web_insights
from orgloop.web import pages as web_pages


@dataclass
class Services:
    """Every slice's service, built once per process."""

    settings: Settings
    db: kernel_db.Database
    clock: Clock
    ids: IdFactory
    bus: EventBus = field(default_factory=EventBus)
    fanout: Fanout | None = None
    """This replica's link to the others (PostgreSQL only)."""
    audit: AuditLog = field(init=False)
    jobs: Jobs = field(init=False)
    tokens: TokenService = field(init=False)
    catalog: CatalogService = field(init=False)
    contracts: ContractService = field(init=False)
    flags: FlagService = field(init=False)
    experiments: ExperimentService = field(init=False)
    traces: TraceService = field(init=False)
    insights: InsightsService = field(init=False)
    delivery: DeliveryService = field(init=False)

    _events: EventStore | None = field(default=None, init=False)

    def event_store(self) -> EventStore:
        """The DuckDB event store, opened on first use (one writer per data directory)."""
        if self._events is None:
            self._events = EventStore.in_data_dir(
                self.settings.data_dir, shared_dir=self.settings.events_shared_dir
            )
        return self._events

    def __post_init__(self) -> None:
        self.audit = AuditLog(db=self.db, clock=self.clock)
        replica = self.fanout.replica if self.fanout else uuid.uuid4().hex[:12]
        self.jobs = Jobs(db=self.db, clock=self.clock, replica=replica)
        self.tokens = TokenService(
            db=self.db, audit=self.audit, clock=self.clock, ids=self.ids, bus=self.bus
        )
        self.catalog = CatalogService(db=self.db, audit=self.audit, clock=self.clock, bus=self.bus)
        self.contracts = ContractService(
            db=self.db,
            audit=self.audit,
            clock=self.clock,
            bus=self.bus,
            catalog=self.catalog,
            observed=self.observed_calls,
        )
        self.flags = FlagService(
            db=self.db, audit=self.audit, clock=self.clock, bus=self.bus, catalog=self.catalog
        )
        self.experiments = ExperimentService(
            db=self.db,
            audit=self.audit,
            clock=self.clock,
            bus=self.bus,
            catalog=self.catalog,
            connect=lambda: event_store_connector(self.event_store())(),
            spans=lambda **window: self.traces.variant_span_stats(**window),
        )
        self.delivery = DeliveryService(
            db=self.db, catalog=self.catalog, contracts=self.contracts, clock=self.clock
        )
        self.traces = TraceService(
            store=SpanStore.in_data_dir(self.settings.data_dir),
            catalog=self.catalog,
            clock=self.clock,
            bus=self.bus,
            settings=trace_settings(self.settings),
        )
        self.insights = InsightsService(
            catalog=self.catalog,
            contracts=self.contracts,
            experiments=self.experiments,
            clock=self.clock,
            traces=self.traces,
        )
        self.bus.subscribe(ExperimentAlert, self.on_experiment_alert)
        self.bus.subscribe(CatalogChanged, self.traces.on_catalog_changed)
        self.bus.subscribe(TokenRevoked, self.tokens.on_token_revoked)

    def observed_calls(
        self, provider: str, *, since: datetime, env: str | None = None
    ) -> list[ObservedCall]:
        """Contracts' port to traffic: the traces slice's calls to ``provider`` since ``since``
        (with ``env``: the calls of that environment and those whose spans name none)."""
        calls = self.traces.observed_calls(provider, since=since, env=env, unlabelled=True)
        return [ObservedCall.model_validate(c.model_dump()) for c in calls]

    def close(self) -> None:
        """Checkpoint and close the event store (if opened) and the database pool."""
        self.jobs.close()
        if self.fanout is not None:
            self.fanout.close()
        if self._events is not None:
            self._events.close()
            self._events = None
        self.traces.close()
        self.db.engine.dispose()

    def on_experiment_alert(self, alert: ExperimentAlert) -> None:
        """Kill the experiment's flag where its owners asked for it, with the owning team's
        rights (another team's flag is refused, and logged), audited as the alert's doing."""
        cause = (
            f"auto-kill: {alert.kind} alert {alert.alert_id} of experiment {alert.experiment}, "
            f"analysis of {alert.analysis_at}, recorded by {alert.requested_by}"
        )
        actor = on_behalf_of(alert.owner, cause=cause)
        for environment in alert.auto_kill_environments:
            self.flags.kill(alert.flag_key, environment, actor=actor)


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    migrate: bool = True,
) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = kernel_db.Database.from_url(settings.resolved_database_url())
    if migrate:
        kernel_db.upgrade(db.engine)
    bus = EventBus()
    fanout = _fanout(db, bus) if db.dialect == "postgresql" else None
    return Services(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        ids=ids or RandomIds(),
        bus=bus,
        fanout=fanout,
    )


def _fanout(db: kernel_db.Database, bus: EventBus) -> Fanout:
    """What every replica on the same PostgreSQL hears: flag, catalog and token changes."""
    fanout = Fanout(url=db.engine.url.render_as_string(hide_password=False), bus=bus)
    fanout.relay(FlagsChanged, gap=lambda: FlagsChanged(key="", environments=()))
    fanout.relay(CatalogChanged, gap=lambda: CatalogChanged(changed=(), removed=()))
    fanout.relay(TokenRevoked, gap=lambda: TokenRevoked(token_id=None))
    bus.send_through(fanout.notify)
    fanout.start()
    return fanout


def create_otlp_app(services: Services) -> FastAPI:
    """Only the OTLP/HTTP receiver, for the conventional OTLP port (``ORGLOOP_OTLP_PORT``)."""
    app = FastAPI(title="orgloop OTLP receiver", version=__version__, openapi_url=None)
    app.state.services = services
    install_error_handlers(app)
    install_authentication(app, services.tokens.authenticate)
    install_denial_audit(app, services.audit.record_denied)
    app.include_router(traces_api_ingest.build_router(traces=services.traces))
    app.add_middleware(JsonGuard)
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_request_bytes)
    return app


def _exposure_recorder(services: Services) -> flags_api_ofrep.RecordExposures:
    """Server-side exposures (OFREP evaluations) go into the event store by the ingest's path."""

    def record(environment: str, events: list[dict[str, Any]]) -> None:
        now = services.clock.now()
        stamp = now.isoformat()
        batch = [{**e, "id": uuid.uuid4().hex, "timestamp": stamp} for e in events]
        body = json.dumps({"events": batch}).encode()
        parsed = parse_batch(body, now=now, limits=IngestLimits())
        services.event_store().submit(parsed, received_at=now, environment=environment)

    return record


API_DOCS = "/api/v1/docs"
"""Swagger UI over the OpenAPI document; its assets are served under ``/api/v1/docs/assets``."""


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The whole server as one ASGI app."""
    services = services or build_services(settings or Settings())
    # FastAPIOffline: the API docs load Swagger UI from the installed package, not from a CDN.
    app = FastAPIOffline(
        title="orgloop",
        version=__version__,
        summary="Catalog, contracts, flags and experiments for organisations of autonomous teams.",
        openapi_url="/api/v1/openapi.json",
        docs_url=API_DOCS,
        redoc_url=None,
        static_url=f"{API_DOCS}/assets",
        favicon_url="/static/favicon.svg",
        swagger_ui_oauth2_redirect_url=f"{API_DOCS}/oauth2-redirect",
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        default_response_class=SafeJSONResponse,
    )
    app.state.services = services
    install_error_handlers(app)
    install_authentication(app, services.tokens.authenticate)
    install_denial_audit(app, services.audit.record_denied)
    app.include_router(
        kernel_api.build_router(
            db=services.db, tokens=services.tokens, audit=services.audit, jobs=services.jobs
        )
    )
    app.include_router(catalog_api.build_router(catalog=services.catalog))
    app.include_router(contracts_api.build_router(contracts=services.contracts))
    app.include_router(contracts_broker_api.build_router(contracts=services.contracts))
    streams = Broadcaster()  # the SDK streams of this app, told of every committed flag change
    services.bus.subscribe(FlagsChanged, streams.on_flags_changed)
    app.include_router(
        flags_api.build_router(
            flags=services.flags,
            broadcaster=streams,
            heartbeat_seconds=services.settings.sse_heartbeat_seconds,
        )
    )
    app.include_router(flags_api_growthbook.build_router(flags=services.flags))
    app.include_router(
        flags_api_ofrep.build_router(
            flags=services.flags, record_exposures=_exposure_recorder(services)
        )
    )
    ingest = experiments_ingest_api.build(
        store=services.event_store(),
        clock=services.clock,
        check_exposures=services.experiments.require_exposure_writer,
        max_body_bytes=services.settings.max_request_bytes,
    )
    app.include_router(ingest.router)
    app.include_router(experiments_api.build_router(experiments=services.experiments))
    app.include_router(traces_api_ingest.build_router(traces=services.traces))
    app.include_router(traces_api.build_router(traces=services.traces))
    app.include_router(
        traces_api_metrics.build_router(
            traces=services.traces, public=services.settings.metrics_public
        )
    )
    app.include_router(insights_api.build_router(insights=services.insights))
    app.include_router(insights_api_delivery.build_router(delivery=services.delivery))
    app.include_router(web_delivery.build_router(delivery=services.delivery))
    app.include_router(web_insights.build_router(insights=services.insights))
    app.include_router(
        web_pages.build_router(
            catalog=services.catalog,
            contracts=services.contracts,
            flags=services.flags,
            experiments=services.experiments,
            traces=services.traces,
            clock=services.clock,
        )
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    document_errors(app)
    # Browsers may call the SDK-key routes from any origin (kernel/cors.py says why).
    app.add_middleware(PublicKeyCors, prefixes=("/growthbook/", "/ofrep/"))
    app.add_middleware(JsonGuard)
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_request_bytes)
    # Outermost: event ingest is answered before the chain, which it reproduces (kernel/plain.py).
    app.add_middleware(PlainRoutes, routes=ingest.plain)
    return app
