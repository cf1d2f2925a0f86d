"""The connector's metrics, kept cumulatively in memory: per series (client, server,
connection type, failed, dimensions) a request count, a failed count and two latency histograms.

Counts are weighted by sampling (``Edge.weight``), so they are floats; without sampling
information every weight is 1 and the figures are the connector's exactly. The number of series
is capped (``PairingConfig.max_series``): edges of a new series beyond the cap are counted in
``dropped_series`` instead, so a flood of new label values cannot grow memory without bound.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from orgloop.traces.pairing import Edge, PairingConfig

SeriesKey = tuple[object, ...]


@dataclass(slots=True)
class Histogram:
    counts: list[float]
    total: float = 0.0
    count: float = 0.0

    def observe(self, value: float, weight: float, bounds: tuple[float, ...]) -> None:
        self.counts[bisect_left(bounds, value)] += weight
        self.total += value * weight
        self.count += weight


@dataclass(slots=True)
class Series:
    labels: dict[str, str]
    failed: bool
    requests: float = 0.0
    failures: float = 0.0
    server: Histogram = field(default_factory=lambda: Histogram([]))
    client: Histogram = field(default_factory=lambda: Histogram([]))


@dataclass(frozen=True)
class Snapshot:
    bounds: tuple[float, ...]
    series: list[Series]
    dropped_series: int


class SeriesAggregator:
    def __init__(self, config: PairingConfig) -> None:
        self.bounds = config.buckets
        self.max_series = config.max_series
        self._series: dict[SeriesKey, Series] = {}
        self.dropped_series = 0

    def add(self, edge: Edge) -> None:
        dimensions = edge.dimensions
        key = (
            edge.client,
            edge.server,
            edge.connection_type,
            edge.virtual_node,
            edge.failed,
            *(sorted(dimensions.items()) if len(dimensions) > 1 else dimensions.items()),
        )
        series = self._series.get(key)
        if series is None:
            if len(self._series) >= self.max_series:
                self.dropped_series += 1
                return
            labels = {
                "client": edge.client,
                "server": edge.server,
                "connection_type": edge.connection_type,
                **dimensions,
            }
            if edge.virtual_node:
                labels["virtual_node"] = edge.virtual_node
            empty = [0.0] * (len(self.bounds) + 1)
            series = Series(
                labels=labels,
                failed=edge.failed,
                server=Histogram(list(empty)),
                client=Histogram(list(empty)),
            )
            self._series[key] = series
        weight = edge.weight or 1.0
        series.requests += weight
        if edge.failed:
            series.failures += weight
        series.server.observe(edge.server_seconds, weight, self.bounds)
        series.client.observe(edge.client_seconds, weight, self.bounds)

    def snapshot(self) -> Snapshot:
        """A copy that can be rendered outside the lock."""
        copied = [
            Series(
                labels=dict(s.labels),
                failed=s.failed,
                requests=s.requests,
                failures=s.failures,
                server=Histogram(list(s.server.counts), s.server.total, s.server.count),
                client=Histogram(list(s.client.counts), s.client.total, s.client.count),
            )
            for s in self._series.values()
        ]
        return Snapshot(self.bounds, copied, self.dropped_series)
