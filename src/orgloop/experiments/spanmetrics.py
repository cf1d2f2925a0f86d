"""Span metrics (kind ``span``): latency and error-rate guardrails per variant, from traces.

A span metric reads the server spans of one service (and optionally one route, the span's
``http.route``) that carry the experiment's variant in ``orgloop.variants``; the traces slice sums
them per variant (``TraceService.variant_span_stats``). ``latency`` is the mean server-span
duration in seconds, compared like a ``mean`` metric; ``error_rate`` is the share of failed
requests, compared like a ``proportion``. The same ``stats`` tests read both.

The unit of a span metric is the **request**, not the exposed unit: its ``units`` are requests,
and its rows say ``"unit": "request"``. Requests of one user are not independent, so a span
metric's interval is narrower than a per-user one would be; the sample ratio check stays on
exposed units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from orgloop.experiments.metrics import Metric
from orgloop.experiments.queries import Analysis, MetricStats
from orgloop.traces.models import VariantSpanStats

REQUEST_UNIT_NOTE = (
    "unit of analysis: the request (server spans), not the exposed unit; requests of one unit "
    "are not independent, so read this interval as optimistic"
)


class SpanSource(Protocol):
    """Per-variant sums of a service's server spans (``TraceService.variant_span_stats``)."""

    def __call__(
        self,
        *,
        service: str,
        experiment: str,
        route: str | None,
        since: datetime,
        until: datetime,
    ) -> list[VariantSpanStats]: ...


def is_span(metric: Metric) -> bool:
    return metric.kind == "span"


def sufficient_stats(metric: Metric, rows: Sequence[VariantSpanStats]) -> list[MetricStats]:
    """One ``MetricStats`` per variant: durations (latency) or failures (error rate), n requests."""
    out = []
    for row in rows:
        if metric.measure == "latency":
            total, squares = row.seconds_sum, row.seconds_sum_squares
        else:  # error rate: a 0/1 value per request, so the sum of squares is the sum
            total = squares = float(row.errors)
        out.append(
            MetricStats(
                metric=metric.key, variant=row.variant, n=row.requests, sum=total,
                sum_squares=squares,
            )
        )  # fmt: skip
    return out


def with_span_stats(
    analysis: Analysis,
    metrics: Sequence[Metric],
    source: SpanSource | None,
    *,
    since: datetime,
    until: datetime,
) -> tuple[Analysis, dict[str, dict[str, int]]]:
    """``analysis`` with the span metrics' statistics added, and each span metric's requests
    per variant. Without a source (no traces on this server) span metrics get no data."""
    added: list[MetricStats] = []
    requests: dict[str, dict[str, int]] = {}
    for metric in metrics:
        if not is_span(metric) or source is None:
            continue
        assert metric.service is not None
        rows = source(
            service=metric.service,
            experiment=analysis.experiment,
            route=metric.route,
            since=since,
            until=until,
        )
        stats = sufficient_stats(metric, rows)
        added.extend(stats)
        requests[metric.key] = {s.variant: s.n for s in stats}
    return replace(analysis, metrics=(*analysis.metrics, *added)), requests


def comparable(metric: Metric) -> Metric:
    """The metric as the comparison reads it: latency as a mean, error rate as a proportion."""
    if not is_span(metric):
        return metric
    kind = "mean" if metric.measure == "latency" else "proportion"
    return metric.model_copy(update={"kind": kind, "cuped_lookback_hours": None})


def mark_rows(
    report: dict[str, Any], metrics: Sequence[Metric], requests: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """Give span metrics' rows their unit (``request``) and request counts, in place."""
    spans = {m.key for m in metrics if is_span(m)}
    control = report.get("control")
    for row in report.get("rows", []):
        if row["metric"] not in spans:
            continue
        counts = requests.get(row["metric"], {})
        row["unit"] = "request"
        row["units"] = counts.get(row["variant"], 0)
        row["control_units"] = counts.get(str(control), 0)
        row["message"] = row.get("message") or REQUEST_UNIT_NOTE
    return report
