"""Turn per-variant sufficient statistics into result rows, an SRM check and a recommendation.

Pure: takes what ``queries.analyse`` computed in the database plus the metric definitions, calls
the ``stats`` slice and returns plain data.  No IO.

Every lift is relative (``0.05`` is +5% over control).  ``chance_to_win`` is the probability that
the treatment is *better*, which for a metric with ``direction: decrease`` means lower.  A row
whose data are degenerate (a variant without units, zero variance) carries a ``status`` code from
``stats.RESULT_ERROR_CODES`` and NaN-free ``None`` numbers; it never raises.

The recommendation rule (documented in docs/experiments.md, checked by tests):

1. ``investigate`` when the sample ratio mismatches (SRM p < 0.001), no treatment was exposed, or
   no treatment has a usable result on the primary metric (every row degenerate): the numbers
   cannot be read.
2. ``kill`` when a guardrail is significantly worse in any treatment, or the primary metric is
   significantly worse in every treatment with a result.
3. ``ship`` when the primary metric is significantly better in at least one treatment (after the
   multiple-testing correction; Bayesian: chance to win >= 1 - alpha).
4. ``keep-going`` otherwise: no conclusion yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from orgloop.experiments.comparisons import (
    Correction,
    Method,
    Role,
    Settings,
    compare,
    compare_quantiles,
    empty,
    num,
)
from orgloop.experiments.metrics import Metric
from orgloop.experiments.queries import Analysis, MetricStats, QuantileStats
from orgloop.stats import StatsError, benjamini_hochberg, holm, srm_test

__all__ = ["Correction", "Method", "Report", "ResultRow", "Role", "Settings", "analyse_stats"]

Recommendation = Literal["ship", "kill", "keep-going", "investigate"]
Verdict = Literal["better", "worse", "inconclusive"]

SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One treatment variant against control on one metric."""

    metric: str
    role: Role
    variant: str
    units: int
    control_units: int
    mean: float | None
    control_mean: float | None
    lift: float | None
    lift_ci_low: float | None
    lift_ci_high: float | None
    p_value: float | None
    adjusted_p_value: float | None
    chance_to_win: float | None
    cuped_variance_reduction: float | None
    verdict: Verdict
    status: str  # "ok", a stats result error code, "invalid_data" or "descriptive"
    message: str | None = None
    #: Beside a CUPED-adjusted row: the plain estimate (``lift``, ``low``, ``high``, ``p_value``).
    unadjusted: dict[str, float | None] | None = None


@dataclass(frozen=True, slots=True)
class Report:
    experiment: str
    control: str
    method: Method
    alpha: float
    correction: Correction
    units: dict[str, int]
    srm_p_value: float | None
    srm_mismatch: bool
    recommendation: Recommendation
    reason: str
    rows: list[ResultRow]
    units_in_several_variants: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyse_stats(analysis: Analysis, metrics: Sequence[Metric], settings: Settings) -> Report:
    """The whole report of one experiment from its sufficient statistics."""
    counts = _counts(analysis, settings)
    srm_p, mismatch = _srm(counts, settings.weights)
    roles = metric_roles(metrics, settings.roles)
    rows: list[ResultRow] = []
    for metric in metrics:
        role = roles[metric.key]
        for variant in (v for v in counts if v != settings.control):
            rows.append(_row(analysis, metric, role, variant, counts, settings))
    rows = _corrected(rows, settings)
    recommendation, reason = recommend(rows, srm_mismatch=mismatch)
    return Report(
        experiment=analysis.experiment,
        control=settings.control,
        method=settings.method,
        alpha=settings.alpha,
        correction=settings.correction,
        units=counts,
        srm_p_value=srm_p,
        srm_mismatch=mismatch,
        recommendation=recommendation,
        reason=reason,
        rows=rows,
        units_in_several_variants=analysis.diagnostics.units_in_several_variants,
    )


def metric_roles(metrics: Sequence[Metric], given: Mapping[str, Role]) -> dict[str, Role]:
    """Roles as given; otherwise guardrails by their flag and the first other metric primary."""
    roles: dict[str, Role] = {}
    for metric in metrics:
        roles[metric.key] = given.get(metric.key) or (
            "guardrail" if metric.guardrail else "secondary"
        )
    if "primary" not in roles.values():
        first = next((k for k, r in roles.items() if r != "guardrail"), None)
        if first is not None:
            roles[first] = "primary"
    return roles


def _counts(analysis: Analysis, settings: Settings) -> dict[str, int]:
    """Units per variant, declared variants first (a variant nobody saw still gets a row)."""
    seen = dict(analysis.units)
    declared = [settings.control, *(settings.weights or {})]
    order = list(dict.fromkeys([*declared, *sorted(seen)]))
    return {v: seen.get(v, 0) for v in order}


def _srm(
    counts: Mapping[str, int], weights: Mapping[str, float] | None
) -> tuple[float | None, bool]:
    if len(counts) < 2:
        return None, False
    expected = [weights.get(v, 0.0) for v in counts] if weights else None
    try:
        result = srm_test(list(counts.values()), expected, threshold=SRM_THRESHOLD)
    except StatsError:
        return None, False
    return num(result.p_value), result.mismatch


def _row(
    analysis: Analysis,
    metric: Metric,
    role: Role,
    variant: str,
    counts: Mapping[str, int],
    settings: Settings,
) -> ResultRow:
    base: dict[str, Any] = {"metric": metric.key, "role": role, "variant": variant}
    base |= {"units": counts[variant], "control_units": counts[settings.control]}
    if metric.kind == "quantile":
        return _quantile_row(analysis.quantiles, metric, settings, base)
    a = _stats(analysis.metrics, metric.key, settings.control)
    b = _stats(analysis.metrics, metric.key, variant)
    try:
        return ResultRow(**base, **compare(metric, a, b, settings))
    except StatsError as exc:
        return ResultRow(**base, **empty("invalid_data"), message=str(exc))


def _stats(all_stats: Sequence[MetricStats], metric: str, variant: str) -> MetricStats:
    for s in all_stats:
        if s.metric == metric and s.variant == variant:
            return s
    return MetricStats(metric=metric, variant=variant, n=0, sum=0.0, sum_squares=0.0)


def _quantile_row(
    quantiles: Sequence[QuantileStats],
    metric: Metric,
    settings: Settings,
    base: dict[str, Any],
) -> ResultRow:
    """Each variant's quantile and the relative difference, tested where the method allows."""
    found = {q.variant: q for q in quantiles if q.metric == metric.key}
    a, b = found.get(settings.control), found.get(base["variant"])
    if a is None or b is None:
        return ResultRow(**base, **empty("no_units"))
    try:
        return ResultRow(**base, **compare_quantiles(metric, a, b, settings))
    except StatsError as exc:
        return ResultRow(**base, **empty("invalid_data"), message=str(exc))


def _corrected(rows: list[ResultRow], settings: Settings) -> list[ResultRow]:
    """Adjust p-values across the non-guardrail rows, then give every row its verdict.

    Guardrails are left uncorrected on purpose: a harm signal should fire easily.
    """
    tested = [i for i, r in enumerate(rows) if r.p_value is not None and r.role != "guardrail"]
    raw = [rows[i].p_value or 0.0 for i in tested]
    if settings.correction == "holm" and raw:
        adjusted = list(holm(raw))
    elif settings.correction == "bh" and raw:
        adjusted = list(benjamini_hochberg(raw))
    else:
        adjusted = raw
    by_index = dict(zip(tested, adjusted, strict=True))
    out = []
    for i, row in enumerate(rows):
        p = by_index.get(i, row.p_value)
        out.append(_with_verdict(row, num(p), settings.alpha))
    return out


def _with_verdict(row: ResultRow, adjusted: float | None, alpha: float) -> ResultRow:
    verdict: Verdict = "inconclusive"
    if row.status == "ok" and row.chance_to_win is not None:
        if adjusted is not None:
            if adjusted < alpha:
                verdict = "better" if row.chance_to_win > 0.5 else "worse"
        elif row.chance_to_win >= 1 - alpha:
            verdict = "better"
        elif row.chance_to_win <= alpha:
            verdict = "worse"
    return ResultRow(**{**asdict(row), "adjusted_p_value": adjusted, "verdict": verdict})


def recommend(rows: Sequence[ResultRow], *, srm_mismatch: bool) -> tuple[Recommendation, str]:
    """Ship, kill, keep going or investigate, with the reason in one sentence (see module doc)."""
    if srm_mismatch:
        return "investigate", "sample ratio mismatch: assignment or logging is broken"
    if not rows:
        return "investigate", "no treatment variant has any exposed units"
    primary = [r for r in rows if r.role == "primary"]
    usable = [r for r in primary if r.status == "ok"]
    if primary and not usable:
        codes = ", ".join(sorted({r.status for r in primary}))
        return "investigate", f"the primary metric has no usable result ({codes})"
    harmed = [r for r in rows if r.role == "guardrail" and r.verdict == "worse"]
    if harmed:
        where = ", ".join(f"{r.metric} in {r.variant}" for r in harmed)
        return "kill", f"guardrail breached: {where}"
    if usable and all(r.verdict == "worse" for r in usable):
        return "kill", f"primary metric {usable[0].metric} is significantly worse"
    winners = [r for r in usable if r.verdict == "better"]
    if winners:
        best = max(winners, key=lambda r: r.chance_to_win or 0.0)
        return "ship", f"{best.variant} significantly improves {best.metric}"
    return "keep-going", "no significant difference on the primary metric yet"
