"""The service graph in the Prometheus text exposition format (version 0.0.4), under the
connector's metric names, so Grafana's service graph and the connector's dashboards work on it.

Label names are sanitised as Prometheus's OTLP translation does (``client_service.version`` ->
``client_service_version``). Histogram buckets are cumulative with ``le`` upper bounds and a
``+Inf`` bucket. Pairing's own counters are exported under ``orgloop_traces_*`` names.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from orgloop.traces.metrics import Histogram, Series, Snapshot
from orgloop.traces.models import PairingStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "traces_service_graph_request"

_INF = 'le="+Inf"'
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def label_name(name: str) -> str:
    """``client_service.version`` -> ``client_service_version`` (a leading digit gets ``_``)."""
    clean = _INVALID.sub("_", name)
    return f"_{clean}" if clean[:1].isdigit() else clean


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: dict[str, str], extra: str = "") -> str:
    body = ",".join(f'{label_name(k)}="{_escape(v)}"' for k, v in sorted(pairs.items()))
    if extra:
        body = f"{body},{extra}" if body else extra
    return "{" + body + "}"


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def render(snapshot: Snapshot, stats: PairingStats) -> str:
    lines: list[str] = []
    series = snapshot.series
    _counter(lines, f"{PREFIX}_total", "Requests between two nodes (paired spans).", series,
             lambda s: s.requests)  # fmt: skip
    failed = [s for s in series if s.failed]
    _counter(lines, f"{PREFIX}_failed_total", "Requests where a span had status ERROR.", failed,
             lambda s: s.failures)  # fmt: skip
    for side in ("server", "client"):
        name = f"{PREFIX}_{side}_seconds"
        lines.append(f"# HELP {name} Duration of the {side} span of each request.")
        lines.append(f"# TYPE {name} histogram")
        for s in series:
            _histogram(lines, name, s, s.server if side == "server" else s.client, snapshot.bounds)
    for metric, help_text, value in (
        ("orgloop_traces_pairing_pending", "Unpaired halves waiting.", stats.pending),
        ("orgloop_traces_pairing_expired_total", "Halves expired unpaired.", stats.expired),
        ("orgloop_traces_pairing_dropped_total", "Halves dropped, store full.", stats.dropped),
        ("orgloop_traces_series_dropped_total", "Edges over the series cap.",
         snapshot.dropped_series),
    ):  # fmt: skip
        kind = "counter" if metric.endswith("_total") else "gauge"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}", f"{metric} {value}"]
    return "\n".join(lines) + "\n"


def _all_labels(s: Series) -> dict[str, str]:
    return {**s.labels, "failed": "true" if s.failed else "false"}


def _counter(
    lines: list[str],
    name: str,
    help_text: str,
    series: list[Series],
    get: Callable[[Series], float],
) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} counter")
    lines.extend(f"{name}{_labels(_all_labels(s))} {_number(get(s))}" for s in series)


def _histogram(
    lines: list[str], name: str, s: Series, h: Histogram, bounds: tuple[float, ...]
) -> None:
    labels = _all_labels(s)
    base = name.removesuffix("_seconds") + "_seconds"
    running = 0.0
    for bound, count in zip(bounds, h.counts, strict=False):
        running += count
        le = f'le="{_number(bound)}"'
        lines.append(f"{base}_bucket{_labels(labels, le)} {_number(running)}")
    lines.append(f"{base}_bucket{_labels(labels, _INF)} {_number(h.count)}")
    lines.append(f"{base}_sum{_labels(labels)} {_number(h.total)}")
    lines.append(f"{base}_count{_labels(labels)} {_number(h.count)}")
