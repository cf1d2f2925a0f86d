"""The connector's metrics, kept cumulatively in memory: per series (client, server,
connection type, failed, dimensions) a request count, a failed count and two latency histograms.

Counts are weighted by sampling (``EdgeColumns.weight``), so they are floats; without sampling
information every weight is 1 and the figures are the connector's exactly. The number of series
is capped (``PairingConfig.max_series``): edges of a new series beyond the cap are counted in
``dropped_series`` instead, so a flood of new label values cannot grow memory without bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orgloop.traces.columns import EdgeColumns
from orgloop.traces.pairing import PairingConfig

SeriesKey = tuple[object, ...]


@dataclass(slots=True)
class Histogram:
    counts: list[float]
    total: float = 0.0
    count: float = 0.0


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


@dataclass(slots=True)
class _Sums:
    """One series' running sums, as numpy arrays (bucket counts, then the histograms' sums)."""

    labels: dict[str, str]
    failed: bool
    requests: float = 0.0
    failures: float = 0.0
    server_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    client_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    server_total: float = 0.0
    client_total: float = 0.0


class SeriesAggregator:
    """Adds a batch of edges at a time: the batch's series keys are factorised once, and the
    counts, sums and bucket counts of each series are ``numpy.bincount`` sums over the batch."""

    def __init__(self, config: PairingConfig) -> None:
        self.bounds = config.buckets
        self._bounds = np.asarray(config.buckets, dtype=np.float64)
        self.max_series = config.max_series
        self._series: dict[SeriesKey, _Sums] = {}
        self.dropped_series = 0

    def add(self, edges: EdgeColumns) -> None:
        n = len(edges)
        if not n:
            return
        keys = list(
            zip(
                edges.client, edges.server, edges.connection_type, edges.virtual_node,
                edges.failed, edges.client_dims, edges.server_dims, strict=True,
            )
        )  # fmt: skip
        position = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        codes = np.fromiter(map(position.__getitem__, keys), dtype=np.intp, count=n)
        groups = len(position)
        weight = np.asarray(edges.weight, dtype=np.float64)
        failed = np.asarray(edges.failed, dtype=bool)
        server = np.asarray(edges.server_seconds, dtype=np.float64)
        client = np.asarray(edges.client_seconds, dtype=np.float64)
        width = len(self.bounds) + 1
        requests = np.bincount(codes, weight, groups)
        failures = np.bincount(codes, weight * failed, groups)
        server_total = np.bincount(codes, weight * server, groups)
        client_total = np.bincount(codes, weight * client, groups)
        # bisect_left: a value on a bound falls in that bound's bucket (le).
        server_counts = self._bucket_counts(codes, server, weight, groups, width)
        client_counts = self._bucket_counts(codes, client, weight, groups, width)
        _, first = np.unique(codes, return_index=True)  # each series' first edge
        for key, code in position.items():
            sums = self._series.get(key)
            if sums is None:
                if len(self._series) >= self.max_series:
                    self.dropped_series += int(np.count_nonzero(codes == code))
                    continue
                sums = self._new(key, edges, int(first[code]), width)
            sums.requests += float(requests[code])
            sums.failures += float(failures[code])
            sums.server_total += float(server_total[code])
            sums.client_total += float(client_total[code])
            sums.server_counts += server_counts[code]
            sums.client_counts += client_counts[code]

    def _bucket_counts(
        self, codes: np.ndarray, values: np.ndarray, weight: np.ndarray, groups: int, width: int
    ) -> np.ndarray:
        buckets = np.searchsorted(self._bounds, values, side="left")
        flat = np.bincount(codes * width + buckets, weight, groups * width)
        return flat.reshape(groups, width)

    def _new(self, key: SeriesKey, edges: EdgeColumns, index: int, width: int) -> _Sums:
        labels = {
            "client": edges.client[index],
            "server": edges.server[index],
            "connection_type": edges.connection_type[index],
            **edges.labels(index),
        }
        if edges.virtual_node[index]:
            labels["virtual_node"] = edges.virtual_node[index]
        sums = _Sums(
            labels=labels,
            failed=bool(edges.failed[index]),
            server_counts=np.zeros(width),
            client_counts=np.zeros(width),
        )
        self._series[key] = sums
        return sums

    def snapshot(self) -> Snapshot:
        """A copy that can be rendered outside the lock."""
        copied = [
            Series(
                labels=dict(s.labels),
                failed=s.failed,
                requests=s.requests,
                failures=s.failures,
                server=Histogram(s.server_counts.tolist(), s.server_total, s.requests),
                client=Histogram(s.client_counts.tolist(), s.client_total, s.requests),
            )
            for s in self._series.values()
        ]
        return Snapshot(self.bounds, copied, self.dropped_series)
