"""The analysis query, written once with Ibis: per-variant sufficient statistics, in the database.

One pass over events computes every metric: events of the metrics' names are joined to each unit's
first exposure and grouped by unit with one conditional aggregate per (measure, window); the
per-unit table is then grouped by variant into sums, sums of squares and cross products.  Raw
events never reach Python; only a few numbers per variant and metric do.  The same expression runs
on DuckDB (the embedded store) and on any Ibis backend that has ``FILTER`` aggregates and
``PERCENTILE_CONT`` (PostgreSQL and Spark among them).

On the embedded store (``unit_numbers``), the per-unit table is computed by unit number instead
(``numbered``: array lookups, no join); everything after it is the same expression.

Extra queries, each over the per-unit table, run only where needed: percentile caps (the cap must
be known before the sums) and quantile metrics (their levels depend on each variant's ``n``).

What keeps the scan fast (see bench/README.md, "Experiment analysis benchmark"): windows are
integer microseconds (``epoch_us`` on DuckDB: no time-zone calendar per event, one integer
comparison per bound); events outside every window are dropped in the join; event-name flags are
computed before the join and window flags once per row after it; units in several variants ride
along as a NULL variant, so exposures are read once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import NormalDist
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from orgloop.experiments import numbered
from orgloop.experiments.errors import MetricInvalid
from orgloop.experiments.metrics import Measure, Metric, Window, micros
from orgloop.experiments.warehouse import DEFAULT_MAPPING, Sources, WarehouseMapping, sources


@dataclass(frozen=True, slots=True)
class MetricStats:
    """Sums over the units of one variant for one metric (``None``: not applicable).

    ``sum``/``sum_squares`` are of the metric's per-unit value (the numerator for ratios);
    ``covariate_*`` are of the same measure over the pre-exposure window (CUPED), and
    ``cross_sum`` is Σ value × covariate.  Ratio metrics add the denominator (``den_*``) and, with
    CUPED, the pre-exposure denominator and every cross product the delta method needs.
    """

    metric: str
    variant: str
    n: int
    sum: float
    sum_squares: float
    covariate_sum: float | None = None
    covariate_sum_squares: float | None = None
    cross_sum: float | None = None
    den_sum: float | None = None
    den_sum_squares: float | None = None
    num_den_sum_product: float | None = None
    covariate_den_sum: float | None = None
    covariate_den_sum_squares: float | None = None
    covariate_num_den_sum_product: float | None = None
    num_covariate_den_sum_product: float | None = None
    den_covariate_sum_product: float | None = None
    den_covariate_den_sum_product: float | None = None


@dataclass(frozen=True, slots=True)
class QuantileStats:
    """A quantile of the per-unit values of one variant, with a distribution-free interval.

    ``lower``/``upper`` are the order statistics of ranks ``lower_rank``/``upper_rank`` (binomial
    method, normal approximation); ``None`` when ``n`` is too small for the confidence asked.
    """

    metric: str
    variant: str
    n: int
    quantile: float
    estimate: float | None
    lower: float | None
    upper: float | None
    lower_rank: int
    upper_rank: int
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class Diagnostics:
    exposed_units: int
    units_in_several_variants: int


@dataclass(frozen=True, slots=True)
class Analysis:
    experiment: str
    units: tuple[tuple[str, int], ...]
    metrics: tuple[MetricStats, ...]
    quantiles: tuple[QuantileStats, ...]
    diagnostics: Diagnostics
    by_unit_number: bool = False  # per-unit values computed by ``numbered`` (the embedded store)


def first_exposure(
    con: Any,
    *,
    experiment: str,
    mapping: WarehouseMapping = DEFAULT_MAPPING,
    environment: str | None = None,
) -> datetime | None:
    """When ``experiment``'s earliest exposure happened (its time as sent), or None without any.

    Exposures carry the time they happened, so they can predate the experiment's start (an
    import, a client that was offline): a look back over time starts here."""
    src = sources(con, mapping, experiment=experiment, environment=environment)
    exposures = src.exposures.filter(src.exposures.experiment == experiment)
    found = exposures.timestamp.min().execute()
    if found is None or found != found:  # NaT or NULL: no exposure yet
        return None
    at: datetime = found.to_pydatetime() if hasattr(found, "to_pydatetime") else found
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def analyse(
    con: Any,
    *,
    experiment: str,
    metrics: Sequence[Metric],
    mapping: WarehouseMapping = DEFAULT_MAPPING,
    until: datetime | None = None,
    confidence: float = 0.95,
    environment: str | None = None,
    unit_numbers: bool = False,
) -> Analysis:
    """Sufficient statistics of ``metrics`` per variant of ``experiment``, from Ibis backend ``con``.

    ``environment``: count only what was sent from it (or with no environment), where the tables
    say (``warehouse.sources``).  ``unit_numbers``: ``con`` is the embedded event store, whose rows
    carry dense unit numbers; the per-unit values are then computed by number (``numbered``)
    where the tables have them (not through a shared directory's views)."""
    _check_unique(metrics)
    # Units seen in several variants stay in the per-unit table with variant NULL: the main
    # query then counts them as its NULL group, so exposures are read once, not twice.
    per_unit = None
    if unit_numbers and mapping == DEFAULT_MAPPING:
        per_unit = numbered.per_unit(
            con,
            experiment=experiment,
            columns=_all_columns(metrics),
            until=until,
            environment=environment,
        )
    by_number = per_unit is not None
    if per_unit is None:
        src = sources(con, mapping, experiment=experiment, environment=environment)
        units = _first_exposures(src, experiment=experiment, until=until)
        per_unit = _per_unit(con, src, units, metrics, until=until)
    clean = per_unit.filter(per_unit.variant.notnull())
    caps = _caps(con, clean, metrics)
    per_unit, clean = _capped(per_unit, caps), _capped(clean, caps)
    rows = _rows(con, per_unit.group_by("variant").aggregate(**_variant_sums(per_unit, metrics)))
    excluded = sum(int(r["n"]) for r in rows if r["variant"] is None)
    rows = sorted((r for r in rows if r["variant"] is not None), key=lambda r: str(r["variant"]))
    counts = tuple((str(r["variant"]), int(r["n"])) for r in rows)
    diagnostics = Diagnostics(
        exposed_units=sum(n for _, n in counts) + excluded, units_in_several_variants=excluded
    )
    return Analysis(
        experiment=experiment,
        units=counts,
        metrics=tuple(_metric_stats(m, r) for r in rows for m in metrics if m.kind != "quantile"),
        quantiles=_quantiles(con, clean, metrics, counts, confidence),
        diagnostics=diagnostics,
        by_unit_number=by_number,
    )


def _check_unique(metrics: Sequence[Metric]) -> None:
    keys = [m.key for m in metrics]
    for index, key in enumerate(keys):
        if keys.index(key) != index:
            raise MetricInvalid.at(f"metrics[{index}].key", f"metric key {key!r} is repeated")


def _first_exposures(src: Sources, *, experiment: str, until: datetime | None) -> ir.Table:
    """Each unit's first exposure and variant (NULL for a unit seen in several variants)."""
    exposures = src.exposures.filter(src.exposures.experiment == experiment)
    if until is not None:
        exposures = exposures.filter(exposures.timestamp < until)
    # min == max instead of COUNT(DISTINCT): a distinct aggregate costs a second hash table.
    per_unit = exposures.group_by("unit").aggregate(
        first_exposure=exposures.timestamp.min(),
        low=exposures.variant.min(),
        high=exposures.variant.max(),
    )
    variant = ibis.ifelse(per_unit.low == per_unit.high, per_unit.low, ibis.null("string"))
    return per_unit.select("unit", "first_exposure", variant=variant)


def _epoch_us_builtin(timestamp: Any) -> Any:
    """DuckDB's microseconds since the epoch (no time-zone calendar work)."""


_epoch_us: Callable[[ir.Value], ir.IntegerValue] = ibis.udf.scalar.builtin(
    _epoch_us_builtin, name="epoch_us", signature=((dt.Timestamp(timezone="UTC"),), dt.int64)
)


def _since_exposure(
    con: Any, timestamp: ir.TimestampValue, first_exposure: ir.TimestampValue
) -> ir.IntegerValue:
    """Microseconds from the unit's first exposure to the event, as an exact integer.

    Windows then compare integers: adding an interval to a TIMESTAMPTZ per event goes through
    DuckDB's time-zone calendar and costs more than the rest of the query.
    """
    if getattr(con, "name", None) == "duckdb":
        since: ir.IntegerValue = _epoch_us(timestamp) - _epoch_us(first_exposure)
        return since
    return timestamp.delta(first_exposure, unit="microsecond")


@dataclass(frozen=True, slots=True)
class _Joined:
    """Units joined to their events, with the comparisons windows are made of.

    ``since(us)`` is "the event is at least ``us`` microseconds after the unit's first exposure";
    ``low``/``high`` are the bounds the join already applied (``high`` None: no upper bound).
    """

    table: ir.Table
    since: Callable[[ir.Table, int], ir.BooleanValue]
    before: Callable[[ir.Table, int], ir.BooleanValue]
    matched: Callable[[ir.Table], ir.BooleanValue]
    low: int
    high: int | None


def _in_window(joined: _Joined, table: ir.Table, window: Window) -> ir.BooleanValue:
    """Whether a joined row's event is in ``window``; a bound the join already applied is not
    compared again (one comparison per row and window instead of two, or none)."""
    conditions = []
    if micros(window.start_hours) != joined.low:
        conditions.append(joined.since(table, micros(window.start_hours)))
    if window.end_hours is not None and micros(window.end_hours) != joined.high:
        conditions.append(joined.before(table, micros(window.end_hours)))
    if not conditions:  # the join's own range: any matched event
        return joined.matched(table)
    condition = conditions[0]
    for other in conditions[1:]:
        condition &= other
    return condition


def _unit_aggregate(events: ir.Table, measure: Measure, where: ir.BooleanValue) -> ir.Scalar:
    if measure.aggregation in ("count", "any"):
        return events.count(where=where)
    if measure.aggregation == "sum":
        return events.value.sum(where=where)
    return events.value.max(where=where)


def _columns(metric: Metric) -> dict[str, tuple[Measure, Window]]:
    """Per-unit columns of a metric: ``y``/``d`` (numerator/denominator), ``x``/``xd`` (covariate)."""
    measures = metric.measures
    out = {
        f"{metric.key}__{n}": (m, metric.window) for n, m in zip(("y", "d"), measures, strict=False)
    }
    if metric.cuped_lookback_hours is not None:
        pre = Window(start_hours=-metric.cuped_lookback_hours, end_hours=0)
        out |= {f"{metric.key}__{n}": (m, pre) for n, m in zip(("x", "xd"), measures, strict=False)}
    return out


def _all_columns(metrics: Sequence[Metric]) -> dict[str, tuple[Measure, Window]]:
    return {name: spec for metric in metrics for name, spec in _columns(metric).items()}


def _join_events(
    con: Any,
    src: Sources,
    units: ir.Table,
    names: list[str],
    windows: list[Window],
    *,
    until: datetime | None,
) -> _Joined:
    """Units LEFT JOIN their events of ``names``.

    Events outside every window are dropped in the join condition itself (units without any are
    kept), so fewer rows reach the per-unit GROUP BY.  The event-name flags (``__e<i>``) are
    computed on the events before the join, so no name string is carried through it.  On DuckDB
    both sides carry integer microseconds (``__t0`` per unit, ``__ts`` per event) and every window
    bound is one integer comparison between them, in the join and after it.
    """
    events = src.events.filter(src.events.event.isin(names))
    if until is not None:
        events = events.filter(events.timestamp < until)
    flags = {f"__e{i}": events.event == name for i, name in enumerate(names)}
    low = min(micros(w.start_hours) for w in windows)
    ends = [w.end_hours for w in windows]
    high = None if None in ends else max(micros(e or 0) for e in ends)
    if getattr(con, "name", None) == "duckdb":
        units = units.mutate(__t0=_epoch_us(units.first_exposure))
        events = events.select("unit", "value", __ts=_epoch_us(events.timestamp), **flags)
        predicates = [units.unit == events.unit, events.__ts >= units.__t0 + low]
        if high is not None:
            predicates.append(events.__ts < units.__t0 + high)
        return _Joined(
            table=units.left_join(events, predicates),
            since=lambda t, us: t.__ts >= t.__t0 + us if us else t.__ts >= t.__t0,
            before=lambda t, us: t.__ts < t.__t0 + us if us else t.__ts < t.__t0,
            matched=lambda t: t.__ts.notnull(),
            low=low,
            high=high,
        )
    events = events.select("unit", "value", "timestamp", **flags)
    since = _since_exposure(con, events.timestamp, units.first_exposure)
    predicates = [units.unit == events.unit, since >= low]
    if high is not None:
        predicates.append(since < high)

    def delta(t: ir.Table) -> ir.IntegerValue:
        return _since_exposure(con, t.timestamp, t.first_exposure)

    return _Joined(
        table=units.left_join(events, predicates),
        since=lambda t, us: delta(t) >= us,
        before=lambda t, us: delta(t) < us,
        matched=lambda t: t.timestamp.notnull(),
        low=low,
        high=high,
    )


def _per_unit(
    con: Any, src: Sources, units: ir.Table, metrics: Sequence[Metric], *, until: datetime | None
) -> ir.Table:
    """One row per exposed unit: its variant and one float column per (measure, window).

    One join of the units to their events and one GROUP BY unit with a conditional aggregate per
    distinct (measure, window): every metric in one scan of the events.
    """
    columns = _all_columns(metrics)
    names = sorted({measure.event for measure, _ in columns.values()})
    windows = list(dict.fromkeys(window for _, window in columns.values()))
    join = _join_events(con, src, units, names, windows, until=until)
    # One flag per distinct window, computed once per row and shared by every conditional
    # aggregate (the database does not share them across aggregates itself).
    window_flags = {w: f"__w{i}" for i, w in enumerate(windows)}
    event_flags = {name: f"__e{i}" for i, name in enumerate(names)}
    joined = join.table.mutate(
        **{flag: _in_window(join, join.table, w) for w, flag in window_flags.items()}
    )
    # Identical (measure, window) pairs across metrics are aggregated once.
    distinct: dict[tuple[Measure, Window], str] = {}
    for name, spec in columns.items():
        distinct.setdefault(spec, name)
    aggregates = {
        name: _unit_aggregate(
            joined, measure, joined[event_flags[measure.event]] & joined[window_flags[window]]
        )
        for (measure, window), name in distinct.items()
    }
    table = joined.group_by("unit", "variant").aggregate(**aggregates)
    values: dict[str, ir.Value] = {"variant": table.variant}
    for name, (measure, window) in columns.items():
        raw = table[distinct[(measure, window)]]
        # A real cast, not a float literal: PostgreSQL reads ``1.0`` as NUMERIC.
        value = (raw > 0).cast("int32") if measure.aggregation == "any" else raw
        values[name] = value.cast("float64").fill_null(0.0)
    return table.select(**values)


def _caps(con: Any, per_unit: ir.Table, metrics: Sequence[Metric]) -> dict[str, float]:
    """Each capped metric's cap; percentile caps are read from the units' values first."""
    caps: dict[str, float] = {}
    percentiles = {m.key: m.cap.percentile for m in metrics if m.cap and m.cap.percentile}
    if percentiles:
        query = per_unit.aggregate(
            **{
                key: per_unit[f"{key}__y"].quantile(p).cast("float64")
                for key, p in percentiles.items()
            }
        )
        caps = {k: float(v) for k, v in _rows(con, query)[0].items() if v is not None}
    for m in metrics:
        if m.cap is not None and m.cap.absolute is not None:
            caps[m.key] = m.cap.absolute
    return caps


def _capped(per_unit: ir.Table, caps: dict[str, float]) -> ir.Table:
    """Winsorise each capped metric's value (numerator for ratios) and its covariate."""
    updates = {}
    for key, cap in caps.items():
        for column in (f"{key}__y", f"{key}__x"):
            if column in per_unit.columns:
                updates[column] = per_unit[column].clip(upper=cap)
    return per_unit.mutate(**updates) if updates else per_unit


def _variant_sums(per_unit: ir.Table, metrics: Sequence[Metric]) -> dict[str, ir.Scalar]:
    # Casts on every result: some backends widen to DECIMAL where a literal meets a double.
    sums: dict[str, ir.Scalar] = {"n": per_unit.count().cast("int64")}
    for metric in metrics:
        if metric.kind == "quantile":
            continue
        cols = [c for c in ("y", "d", "x", "xd") if f"{metric.key}__{c}" in per_unit.columns]
        for i, a in enumerate(cols):
            sums[f"{metric.key}__s_{a}"] = per_unit[f"{metric.key}__{a}"].sum().cast("float64")
            for b in cols[i:]:
                product = per_unit[f"{metric.key}__{a}"] * per_unit[f"{metric.key}__{b}"]
                sums[f"{metric.key}__p_{a}_{b}"] = product.sum().cast("float64")
    return sums


def _metric_stats(metric: Metric, row: dict[str, Any]) -> MetricStats:
    def get(name: str) -> float | None:
        value = row.get(f"{metric.key}__{name}")
        if f"{metric.key}__{name}" not in row:
            return None
        return float(value) if value is not None else 0.0

    return MetricStats(
        metric=metric.key,
        variant=str(row["variant"]),
        n=int(row["n"]),
        sum=get("s_y") or 0.0,
        sum_squares=get("p_y_y") or 0.0,
        covariate_sum=get("s_x"),
        covariate_sum_squares=get("p_x_x"),
        cross_sum=get("p_y_x"),
        den_sum=get("s_d"),
        den_sum_squares=get("p_d_d"),
        num_den_sum_product=get("p_y_d"),
        covariate_den_sum=get("s_xd"),
        covariate_den_sum_squares=get("p_xd_xd"),
        covariate_num_den_sum_product=get("p_x_xd"),
        num_covariate_den_sum_product=get("p_y_xd"),
        den_covariate_sum_product=get("p_d_x"),
        den_covariate_den_sum_product=get("p_d_xd"),
    )


def _ranks(n: int, q: float, confidence: float) -> tuple[int, int]:
    """1-based ranks of the order statistics that bound quantile ``q`` (binomial, normal approx.)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * (n * q * (1 - q)) ** 0.5
    return round(n * q - spread), round(n * q + 1 + spread)


def _quantiles(
    con: Any,
    per_unit: ir.Table,
    metrics: Sequence[Metric],
    counts: tuple[tuple[str, int], ...],
    confidence: float,
) -> tuple[QuantileStats, ...]:
    """Per-variant quantile and interval: each bound is PERCENTILE_CONT at level (r-1)/(n-1),
    which is exactly the r-th smallest value."""
    wanted = [m for m in metrics if m.kind == "quantile"]
    if not wanted or not counts:
        return ()
    aggregates: dict[str, ir.Scalar] = {}
    plans: list[tuple[Metric, str, int, int, int]] = []
    for m_index, metric in enumerate(wanted):
        assert metric.quantile is not None
        column = per_unit[f"{metric.key}__y"]
        for v_index, (variant, n) in enumerate(counts):
            low, high = _ranks(n, metric.quantile, confidence)
            where = per_unit.variant == variant
            tag = f"q{m_index}_{v_index}"
            aggregates[f"{tag}_e"] = column.quantile(metric.quantile, where=where).cast("float64")
            for suffix, rank in (("l", low), ("u", high)):
                if n > 1 and 1 <= rank <= n:
                    level = (rank - 1) / (n - 1)
                    aggregates[f"{tag}_{suffix}"] = column.quantile(level, where=where).cast(
                        "float64"
                    )
            plans.append((metric, variant, n, low, high))
    row = _rows(con, per_unit.aggregate(**aggregates))[0]
    out = []
    for index, (metric, variant, n, low, high) in enumerate(plans):
        tag = f"q{index // len(counts)}_{index % len(counts)}"
        out.append(
            QuantileStats(
                metric=metric.key,
                variant=variant,
                n=n,
                quantile=metric.quantile or 0.0,
                estimate=_float(row.get(f"{tag}_e")),
                lower=_float(row.get(f"{tag}_l")),
                upper=_float(row.get(f"{tag}_u")),
                lower_rank=low,
                upper_rank=high,
                confidence=confidence,
            )
        )
    return tuple(out)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _rows(con: Any, expr: ir.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = con.to_pyarrow(expr).to_pylist()
    return rows
