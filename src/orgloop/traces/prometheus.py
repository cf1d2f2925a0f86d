"""The service graph read from Prometheus, where a Collector fleet's ``servicegraph`` connector (or
Tempo's metrics generator) writes it, into the same ``ServiceGraph`` that pairing produces.

Queries Prometheus's HTTP API (``/api/v1/query``) at the window's end: ``increase`` of the
request and failed counters over the window, summed by ``client, server, connection_type``, and
``histogram_quantile`` over the ``_bucket`` series for p50/p95/p99 of each side (the mean from
``_sum``/``_count``). Splits by version, operation and variant use the connector's dimension
labels when the fleet is configured with them (``client_service_version``,
``server_service_version``, ``server_http_route``, ``server_orgloop_variants``). ``increase``
extrapolates to the window's edges, as Grafana does: counts are estimates, not span counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from math import isfinite
from typing import Any, get_args

import httpx

from orgloop.catalog.service import CatalogService
from orgloop.kernel.errors import Unavailable
from orgloop.kernel.settings import Settings
from orgloop.traces import graph
from orgloop.traces.catalogmap import CatalogIndex, read_index
from orgloop.traces.models import ConnectionType, ServiceGraph
from orgloop.traces.store_reads import EdgeRow, Quantiles

PREFIX = "traces_service_graph_request"
EDGE_LABELS = ("client", "server", "connection_type")
#: Each split of an edge, and the connector labels that may carry it (first one with values wins).
SPLIT_LABELS: dict[str, tuple[str, ...]] = {
    "client_version": ("client_service_version",),
    "server_version": ("server_service_version",),
    "operation": ("server_http_route", "client_http_route", "server_rpc_method"),
    "variant": ("server_orgloop_variants", "client_orgloop_variants"),
}
_QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
_CONNECTION_TYPES = frozenset(get_args(ConnectionType))
_CATALOG_TTL_SECONDS = 30.0
Key = tuple[str, ...]


def from_settings(settings: Settings, catalog: CatalogService) -> PrometheusGraph | None:
    """The reader ``ORGLOOP_SERVICE_GRAPH_PROMETHEUS_URL`` asks for, or None (orgloop pairs)."""
    url = settings.service_graph_prometheus_url
    return reader(url, catalog) if url else None


def reader(url: str, catalog: CatalogService) -> PrometheusGraph:
    """A reader of the graph at ``url`` whose services map to ``catalog``."""
    cached: list[tuple[float, CatalogIndex]] = []

    def index() -> CatalogIndex:
        # The catalog is read at most every 30 s, as the span-pairing graph does.
        now = time.monotonic()
        if not cached or now - cached[0][0] > _CATALOG_TTL_SECONDS:
            cached[:] = [(now, read_index(catalog))]
        return cached[0][1]

    return PrometheusGraph(url, index=index)


class PrometheusUnavailable(Unavailable):
    """Prometheus did not answer, or answered with an error: the graph cannot be read."""


@dataclass(frozen=True)
class _Figures:
    requests: dict[Key, float]
    failed: dict[Key, float]
    latency: dict[str, dict[Key, Quantiles]]


class PrometheusGraph:
    """Reads the service graph from a Prometheus server (``ORGLOOP_SERVICE_GRAPH_PROMETHEUS_URL``)."""

    def __init__(
        self,
        url: str,
        *,
        index: Callable[[], CatalogIndex],
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._index = index
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def graph(
        self,
        *,
        since: datetime,
        until: datetime,
        service: str | None = None,
        env: str | None = None,
    ) -> ServiceGraph:
        """The graph over ``[since, until]``; ``service`` keeps the edges touching it."""
        window = max(1, round((until - since).total_seconds()))
        rows = self.edge_rows(window=window, at=until.timestamp())
        if service is not None:
            rows = [r for r in rows if service in (r.client, r.server)]
        built = graph.assemble(
            rows, index=self._index(), since=since, until=until, service=service, env=env
        )
        return built.model_copy(update={"source": "prometheus"})

    def edge_rows(self, *, window: int, at: float) -> list[EdgeRow]:
        """Whole edges, then one row per value of each split the metrics carry."""
        whole = self._figures(EDGE_LABELS, window, at)
        rows = [_row(key, None, "", whole) for key in sorted(whole.requests)]
        for dimension, candidates in SPLIT_LABELS.items():
            for label in candidates:
                split = self._figures((*EDGE_LABELS, label), window, at)
                if not any(key[-1] for key in split.requests):
                    continue  # the fleet does not record this dimension under this label
                rows += [
                    _row(key[:-1], dimension, key[-1], split)
                    for key in sorted(split.requests)
                    if key[:-1] in whole.requests
                ]
                break
        return rows

    # -- queries ------------------------------------------------------------------------------

    def _figures(self, by: tuple[str, ...], window: int, at: float) -> _Figures:
        grouping = ", ".join(by)
        queries = {
            "requests": f"sum by ({grouping}) (increase({PREFIX}_total[{window}s]))",
            "failed": f"sum by ({grouping}) (increase({PREFIX}_failed_total[{window}s]))",
        }
        for side in ("server", "client"):
            metric = f"{PREFIX}_{side}_seconds"
            for name, q in _QUANTILES:
                queries[f"{side}.{name}"] = (
                    f"histogram_quantile({q}, sum by ({grouping}, le) "
                    f"(increase({metric}_bucket[{window}s])))"
                )
            queries[f"{side}.mean"] = (
                f"sum by ({grouping}) (increase({metric}_sum[{window}s])) / "
                f"sum by ({grouping}) (increase({metric}_count[{window}s]))"
            )
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = dict(
                zip(
                    queries,
                    pool.map(lambda q: self.query(q, at, by), queries.values()),
                    strict=True,
                )
            )
        latency: dict[str, dict[Key, Quantiles]] = {}
        for side in ("server", "client"):
            keys = set().union(*(answers[f"{side}.{n}"] for n in ("p50", "p95", "p99", "mean")))
            latency[side] = {
                key: Quantiles(
                    p50=answers[f"{side}.p50"].get(key),
                    p95=answers[f"{side}.p95"].get(key),
                    p99=answers[f"{side}.p99"].get(key),
                    mean=answers[f"{side}.mean"].get(key),
                )
                for key in keys
            }
        requests = {k: v for k, v in answers["requests"].items() if v > 0}
        return _Figures(requests=requests, failed=answers["failed"], latency=latency)

    def query(self, promql: str, at: float, by: Iterable[str]) -> dict[Key, float]:
        """One instant query: each series' value keyed by the ``by`` labels (NaN left out)."""
        try:
            response = self._http.get("/api/v1/query", params={"query": promql, "time": at})
        except httpx.HTTPError as exc:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} did not answer: {exc}", details={"url": self.url}
            ) from exc
        body = _json(response)
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} refused a query (HTTP {response.status_code}): "
                f"{body.get('error') or response.text[:200]}",
                details={"url": self.url, "query": promql},
            )
        labels = tuple(by)
        found: dict[Key, float] = {}
        for item in body.get("data", {}).get("result", []):
            value = float(item["value"][1])
            if isfinite(value):
                found[tuple(item["metric"].get(name, "") for name in labels)] = value
        return found


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _row(key: Key, dimension: str | None, value: str, figures: _Figures) -> EdgeRow:
    full = (*key, value) if dimension is not None else key
    empty = Quantiles(None, None, None, None)
    return EdgeRow(
        client=key[0],
        server=key[1],
        connection_type=key[2] if key[2] in _CONNECTION_TYPES else "",
        dimension=dimension,
        value=value,
        requests=figures.requests.get(full, 0.0),
        failed=figures.failed.get(full, 0.0),
        client_latency=figures.latency["client"].get(full, empty),
        server_latency=figures.latency["server"].get(full, empty),
    )


__all__ = ["PrometheusGraph", "PrometheusUnavailable", "from_settings"]
