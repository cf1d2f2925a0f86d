"""The traces slice's public interface: ingest OTLP exports, read the graph, traces and services.

Ingest path (one call per export, on the receiver's decode thread): ``intake.flatten`` validates
and flattens the spans into columns and pairing halves; ``pairing.Pairer`` pairs halves into
edges in memory; the spans, the completed edges and the services seen go to ``store.SpanStore``,
whose writer thread appends them to DuckDB in batches. ``ingest`` returns a future that resolves
once the export's rows are committed, so the receiver acknowledges nothing that is not stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orgloop.catalog.service import CatalogService
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.errors import InvalidInput
from orgloop.kernel.settings import Settings
from orgloop.traces import exposition, graph, prometheus, resend
from orgloop.traces.catalogmap import CatalogIndex, read_index
from orgloop.traces.columns import EdgeColumns
from orgloop.traces.errors import Flooding, Overloaded, TraceNotFound
from orgloop.traces.events import UnknownServiceSeen
from orgloop.traces.intake import IngestLimits, flatten
from orgloop.traces.metrics import SeriesAggregator
from orgloop.traces.models import (
    CallDepth,
    EdgeDetail,
    IngestSummary,
    ObservedCall,
    PairingStats,
    ServiceGraph,
    TraceView,
    UnknownService,
    UnknownServices,
    VariantSpanStats,
)
from orgloop.traces.pairing import Pairer, PairingConfig
from orgloop.traces.store import SpanStore
from orgloop.traces.traceview import trace_view

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=1)
_CATALOG_TTL_SECONDS = 30.0
# Names seen, for publishing UnknownServiceSeen once; beyond this (a flood of made-up names)
# the event may repeat, but memory stays bounded.
_MAX_NAMES_REMEMBERED = 10_000


@dataclass(frozen=True)
class TraceSettings:
    """How the slice behaves; built from ``kernel.settings.Settings`` in ``app.py``."""

    retention: timedelta = timedelta(hours=72)
    pairing: PairingConfig = field(default_factory=PairingConfig)
    limits: IngestLimits = field(default_factory=IngestLimits)
    max_pending_spans: int = 400_000
    #: Read the graph from this Prometheus (a Collector fleet's metrics) instead of pairing.
    prometheus_url: str | None = None


class TraceService:
    def __init__(
        self,
        *,
        store: SpanStore,
        catalog: CatalogService,
        clock: Clock,
        bus: EventBus,
        settings: TraceSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._clock = clock
        self._bus = bus
        self.settings = settings or TraceSettings()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._series = SeriesAggregator(self.settings.pairing)
        self._pairer = Pairer(self.settings.pairing, on_edges=self._on_edges)
        self._completed: list[EdgeColumns] = []
        self._index: CatalogIndex | None = None
        self._index_read = 0.0
        self._seen_services: set[str] = set()
        self._recent = resend.RecentExports()
        self._recent_seeded = False
        self._queued: Counter[str] = Counter()
        self._queued_lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        url = self.settings.prometheus_url
        self._prometheus = prometheus.reader(url, catalog) if url else None

    def _start_ticker(self) -> None:
        """Expire unpaired halves every second and purge past retention hourly, in a thread."""
        if self._ticker is not None:
            return
        self._ticker = threading.Thread(target=self._tick, name="trace-pairing", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        last_purge = 0.0
        while not self._stopping.wait(1.0):
            try:
                self.expire()
                if self._monotonic() - last_purge > 3600:
                    last_purge = self._monotonic()
                    self.purge()
            except Exception:  # the next tick retries; a failed write failed its own futures
                log.exception("trace pairing tick failed")

    # -- ingest ------------------------------------------------------------------------------

    def ingest(
        self,
        request: ExportTraceServiceRequest,
        *,
        environment: str | None = None,
        raw: bytes | None = None,
    ) -> tuple[IngestSummary, Future[None]]:
        """Validate, pair and queue one export; the future resolves when its rows are stored.

        ``raw`` is the export's protobuf encoding when the caller has it (stored as is). The
        same export sent again (``resend``) is answered as the first time, not stored twice.
        ``environment`` is the default ``deployment.environment`` (an SDK key's). Raises
        ``Overloaded`` (503) when the store is too far behind, ``Flooding`` (429) when one
        service fills more than its share of the queue, ``PayloadTooLarge`` over the span limit.
        """
        if self._store.pending_spans() > self.settings.max_pending_spans:
            raise Overloaded(
                "span store is behind; retry later", retry_after=self._store.retry_after()
            )
        body = raw if raw is not None else request.SerializeToString()
        key = resend.key_of(body, environment)
        self._seed_recent()
        earlier = self._recent.earlier(key)
        if earlier is not None:
            first, committed = earlier
            return first.model_copy(update={"unknown_services": []}), committed
        now = self._clock.now()
        flat = flatten(
            request,
            now=now,
            limits=self.settings.limits,
            environment=environment,
            config=self.settings.pairing,
            raw=body,
        )
        flat.resend_key = key
        self._start_ticker()
        self._check_share(flat.services)
        with self._lock:
            tick = self._monotonic()
            self._pairer.add(flat.halves, tick)
            self._pairer.expire(tick)
            edges, self._completed = self._completed, []
        committed = self._store.submit(flat, edges, received=now)
        self._track_queued(flat.services, committed)
        unknown = self._note_services(flat.services)
        summary = IngestSummary(
            accepted=flat.accepted,
            rejected=flat.rejected,
            unknown_services=unknown,
            message=flat.message(),
        )
        self._recent.remember(key, summary, committed)
        return summary, committed

    def _seed_recent(self) -> None:
        """Once per process: remember the exports stored before it started, so that a resend
        arriving after a restart is recognised too."""
        if self._recent_seeded:
            return
        with self._lock:
            if self._recent_seeded:
                return
            stored = self._store.recent_exports(resend.DEFAULT_CAPACITY)
            self._recent.seed(
                [
                    (key, IngestSummary(accepted=spans, rejected=rejected, message=message))
                    for key, spans, rejected, message in stored
                ]
            )
            self._recent_seeded = True

    def _check_share(self, services: dict[str, int]) -> None:
        """Under load, refuse (429) a service whose spans fill more than half the queue, so one
        flooding service does not push the others into 503s."""
        limit = self.settings.max_pending_spans
        if self._store.pending_spans() <= limit // 4:
            return
        for name, spans in services.items():
            queued = self._queued[name]
            if queued + spans > limit // 2:
                raise Flooding(
                    f"service {name!r} has {queued} spans waiting to be stored, more than its "
                    "share of the queue; retry later",
                    retry_after=self._store.retry_after(),
                )

    def _track_queued(self, services: dict[str, int], committed: Future[None]) -> None:
        with self._queued_lock:
            self._queued.update(services)

        def done(_: Future[None]) -> None:
            with self._queued_lock:
                self._queued.subtract(services)
                for name in services:
                    if self._queued[name] <= 0:
                        del self._queued[name]

        committed.add_done_callback(done)

    def expire(self) -> int:
        """Expire unpaired halves past the TTL (virtual nodes) and queue their edges; returns how
        many edges that completed. The server calls it about once a second."""
        with self._lock:
            self._pairer.expire(self._monotonic())
            edges, self._completed = self._completed, []
        if edges:
            self._store.submit(None, edges, received=self._clock.now())
        return len(edges)

    def flush(self) -> None:
        """Wait until everything queued so far is stored (readers see every acknowledged span)."""
        self._store.flush()

    def purge(self) -> int:
        """Delete spans and edges older than the retention period; returns spans deleted."""
        cutoff = self._clock.now() - self.settings.retention
        return self._store.purge(before=cutoff)

    def _on_edges(self, edges: EdgeColumns) -> None:
        # Called by the pairer under self._lock.
        self._series.add(edges)
        self._completed.append(edges)

    def _note_services(self, services: dict[str, int]) -> list[str]:
        fresh = [s for s in services if s not in self._seen_services]
        if not fresh:
            return []
        index = self._catalog_index()
        if len(self._seen_services) < _MAX_NAMES_REMEMBERED:
            self._seen_services.update(fresh)
        unknown = sorted(s for s in fresh if index.component_of(s) is None)
        for name in unknown:
            self._bus.publish(UnknownServiceSeen(service=name))
        return unknown

    # -- reading -----------------------------------------------------------------------------

    def graph(
        self,
        *,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        service: str | None = None,
        env: str | None = None,
    ) -> ServiceGraph:
        """The observed graph in a window (default: the last hour), joined with the catalog;
        read from Prometheus when ``ORGLOOP_SERVICE_GRAPH_PROMETHEUS_URL`` is set."""
        end = until or self._clock.now()
        start = _start(since, end)
        if self._prometheus is not None:
            return self._prometheus.graph(since=start, until=end, service=service, env=env)
        self.flush()
        rows = self._store.edge_rows(since=start, until=end, service=service, env=env)
        return graph.assemble(
            rows,
            index=self._catalog_index(),
            since=start,
            until=end,
            service=service,
            env=env,
        )

    def edge(
        self,
        *,
        client: str,
        server: str,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        env: str | None = None,
        step_seconds: int | None = None,
    ) -> EdgeDetail:
        """One edge's figures and their series over time (for an edge's page)."""
        end = until or self._clock.now()
        start = _start(since, end)
        step = step_seconds or graph.default_step(end - start)
        self.flush()
        rows = self._store.edge_rows(
            since=start, until=end, service=None, env=env, pair=(client, server)
        )
        series = self._store.edge_series(
            client=client, server=server, since=start, until=end, env=env, step_seconds=step
        )
        return graph.edge_detail(
            rows,
            series,
            index=self._catalog_index(),
            since=start,
            until=end,
            step=step,
            client=client,
            server=server,
        )

    def observed_calls(
        self,
        provider: str,
        *,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        env: str | None = None,
        unlabelled: bool = False,
    ) -> list[ObservedCall]:
        """Who called ``provider`` in the window, split by consumer, consumer version, operation
        and provider version (users' calls to a root span left out). ``provider`` is a catalog
        Component name (its ``service.name`` annotation applies) or a ``service.name``; consumers
        are named by their Component where the catalog maps them. With ``env``, only calls of
        that environment; ``unlabelled`` adds the calls whose spans name no environment."""
        end = until or self._clock.now()
        start = _start(since, end)
        index = self._catalog_index()
        component = index.by_name.get(provider.lower())
        runtime = index.node_name(component.ref) if component is not None else provider
        self.flush()
        calls = self._store.consumer_rows(
            server=runtime, since=start, until=end, env=env, unlabelled=unlabelled
        )
        for call in calls:
            found = index.component_of(call.consumer)
            if found is not None:
                call.consumer = found.name
        return calls

    def call_depths(
        self,
        *,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        env: str | None = None,
    ) -> list[CallDepth]:
        """Per entry point (the service a trace enters at), the 95th percentile, maximum and
        mean over its traces of the longest chain of calls in the trace (user -> a -> b -> db
        is 2). Traces are read from the paired calls in the window; a root span's ``user`` call
        is paired after the TTL, until then the trace's first client stands for the entry."""
        end = until or self._clock.now()
        start = _start(since, end)
        self.flush()
        return self._store.call_depth_rows(since=start, until=end, env=env)

    def variant_span_stats(
        self,
        *,
        service: str,
        experiment: str,
        route: str | None = None,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        env: str | None = None,
    ) -> list[VariantSpanStats]:
        """Per variant of ``experiment`` (from ``orgloop.variants``): the count, sum and sum of
        squares of ``service``'s server-span durations (seconds) and its failed requests, for
        one operation (``route``) or all. One observation per request, unweighted."""
        end = until or self._clock.now()
        start = _start(since, end)
        self.flush()
        return self._store.variant_rows(
            server=service, route=route, experiment=experiment, since=start, until=end, env=env
        )

    def trace(self, trace_id: str) -> TraceView:
        """Every stored span of one trace (hex id, 32 digits), with owning teams."""
        normal = trace_id.strip().lower()
        if len(normal) != 32 or any(c not in "0123456789abcdef" for c in normal):
            raise InvalidInput.at("trace_id", "must be 32 hexadecimal digits")
        self.flush()
        wanted = bytes.fromhex(normal)
        view = trace_view(wanted, self._store.trace_exports(wanted), index=self._catalog_index())
        if view is None:
            raise TraceNotFound(
                f"no spans of trace {normal} are stored (never received, or past retention)",
                details={"trace_id": normal},
            )
        return view

    def unknown_services(self) -> UnknownServices:
        """Services seen in spans that no catalog Component claims (by name or annotation)."""
        self.flush()
        index = self._catalog_index(fresh=True)
        items = [
            UnknownService(service=name, spans=spans, first_seen=first, last_seen=last)
            for name, spans, first, last in self._store.services_seen()
            if index.component_of(name) is None
        ]
        return UnknownServices(items=items)

    def pairing_stats(self) -> PairingStats:
        with self._lock:
            return self._pairer.stats()

    def metrics_text(self) -> str:
        """The graph since the server started, in the Prometheus text exposition format."""
        with self._lock:
            series = self._series.snapshot()
            stats = self._pairer.stats()
        return exposition.render(series, stats)

    # -- catalog -----------------------------------------------------------------------------

    def on_catalog_changed(self, _event: object) -> None:
        """The catalog changed: map services afresh on the next read."""
        self._index = None

    def _catalog_index(self, *, fresh: bool = False) -> CatalogIndex:
        now = self._monotonic()
        if fresh or self._index is None or now - self._index_read > _CATALOG_TTL_SECONDS:
            self._index = read_index(self._catalog)
            self._index_read = now
        return self._index

    def close(self) -> None:
        """Stop the ticker, store what is queued and close the DuckDB file."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join()
        self._store.close()
        if self._prometheus is not None:
            self._prometheus.close()


def _start(since: datetime | timedelta | None, end: datetime) -> datetime:
    if since is None:
        return end - DEFAULT_WINDOW
    if isinstance(since, timedelta):
        return end - since
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def trace_settings(settings: Settings) -> TraceSettings:
    """The slice's settings from the server's (``ORGLOOP_TRACE_*`` variables)."""
    retention = timedelta(hours=settings.trace_retention_hours)
    return TraceSettings(
        retention=retention,
        pairing=PairingConfig(
            ttl_seconds=settings.trace_pairing_ttl_seconds,
            max_items=settings.trace_pairing_max_items,
        ),
        limits=IngestLimits(max_age=retention),
        prometheus_url=settings.service_graph_prometheus_url,
    )
