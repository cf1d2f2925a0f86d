"""Pure helpers of the experiment lifecycle: stored rows to wire models, the power plan, alerts
found in an analysis, learning-log entries and per-team velocity.  No IO."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from orgloop.experiments.errors import MetricInvalid
from orgloop.experiments.metrics import Metric, parse_metrics
from orgloop.experiments.models import (
    Experiment,
    ExperimentCreate,
    Learning,
    MonthVelocity,
    PowerPlan,
    Velocity,
)
from orgloop.kernel.errors import InvalidInput
from orgloop.stats import StatsError, sample_size_mean, sample_size_proportion

AlertKind = Literal["srm", "guardrail"]
ROLES: tuple[tuple[str, str], ...] = (
    ("primary", "primary_metrics"),
    ("secondary", "secondary_metrics"),
    ("guardrail", "guardrail_metrics"),
)


def metric_specs(body: ExperimentCreate) -> list[dict[str, Any]]:
    """Validated definitions with their role; keys unique across roles."""
    specs: list[dict[str, Any]] = []
    for role, field in ROLES:
        raw = getattr(body, field)
        if not raw:
            continue
        try:
            metrics = parse_metrics(raw)
        except MetricInvalid as exc:
            errors = [
                {**e, "path": field + str(e["path"]).removeprefix("metrics")}
                for e in exc.details.get("errors", [])
            ]
            raise MetricInvalid(f"{field}: {exc.message}", details={"errors": errors}) from None
        specs += [{"role": role, "definition": _cuped_default(m, body.cuped)} for m in metrics]
    keys = [s["definition"]["key"] for s in specs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InvalidInput.at("metrics", f"metric keys must be unique; repeated: {repeated}")
    return specs


def _cuped_default(metric: Metric, cuped: bool) -> dict[str, Any]:
    """The stored definition: a metric's own ``cuped_lookback_hours`` wins (a window, or null
    for no CUPED); with the experiment's ``cuped: false`` the others get no covariate."""
    if not cuped and "cuped_lookback_hours" not in metric.model_fields_set:
        metric = metric.model_copy(update={"cuped_lookback_hours": None})
    return metric.model_dump(mode="json")


def planned_sample_size(plan: PowerPlan | None, *, alpha: float) -> int | None:
    """Units per variant to detect the plan's MDE with its power (two-sided, normal approx.)."""
    if plan is None:
        return None
    try:
        if plan.baseline_std is None:
            return sample_size_proportion(
                baseline=plan.baseline, relative_effect=plan.mde, alpha=alpha, power=plan.power
            )
        return sample_size_mean(
            mean=plan.baseline,
            std=plan.baseline_std,
            relative_effect=plan.mde,
            alpha=alpha,
            power=plan.power,
        )
    except StatsError as exc:
        raise InvalidInput.at("plan", str(exc)) from None


def experiment_of(row: Any) -> Experiment:
    spec = row.spec
    return Experiment(
        key=row.key,
        hypothesis=row.hypothesis,
        owner=row.owner,
        flag_key=row.flag_key,
        status=row.status,
        variations=spec["variations"],
        control=spec["control"],
        metrics=spec["metrics"],
        alpha=spec["alpha"],
        method=spec["method"],
        correction=spec["correction"],
        cuped=spec["cuped"],
        auto_kill_environments=list(spec.get("auto_kill_environments") or []),
        environment=spec.get("environment") or "production",
        plan=spec.get("plan"),
        planned_sample_size=row.planned_sample_size,
        created_at=row.created_at,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        decided_at=row.decided_at,
        decision=row.decision,
        decision_reason=row.decision_reason,
        last_analysis=row.last_analysis,
    )


def alerts_of(report: dict[str, Any]) -> list[tuple[AlertKind, str, dict[str, Any]]]:
    """A sample ratio mismatch, and each guardrail significantly worse in a treatment."""
    found: list[tuple[AlertKind, str, dict[str, Any]]] = []
    if report.get("srm_mismatch"):
        p = report.get("srm_p_value")
        units = ", ".join(f"{v} {n}" for v, n in report["units"].items())
        message = f"sample ratio mismatch (p = {p:.2g}): units per variant {units}"
        found.append(("srm", message, {"srm_p_value": p, "units": report["units"]}))
    for row in report.get("rows", []):
        if row["role"] == "guardrail" and row["verdict"] == "worse":
            message = f"guardrail {row['metric']} is significantly worse in {row['variant']}"
            found.append(("guardrail", message, {"row": row}))
    return found


def _result(report: dict[str, Any] | None) -> str | None:
    if not report:
        return None
    primary = [r for r in report.get("rows", []) if r["role"] == "primary"]
    parts = [
        f"{r['metric']} {r['variant']} {r['lift']:+.1%}"
        if r["lift"] is not None
        else f"{r['metric']} {r['variant']} {r['status']}"
        for r in primary
    ]
    return "; ".join([*parts, f"{report['recommendation']}: {report['reason']}"])


def learning_of(row: Any) -> Learning:
    report = row.decision_evidence or row.last_analysis
    return Learning(
        key=row.key,
        owner=row.owner,
        hypothesis=row.hypothesis,
        status=row.status,
        recommendation=report.get("recommendation") if report else None,
        result=_result(report),
        decision=row.decision,
        decision_reason=row.decision_reason,
        started_at=row.started_at,
        decided_at=row.decided_at,
    )


def matches(learning: Learning, q: str | None) -> bool:
    if not q:
        return True
    text = " ".join(
        str(v)
        for v in (learning.key, learning.hypothesis, learning.result, learning.decision_reason)
        if v
    )
    return all(word in text.lower() for word in q.lower().split())


def _month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def velocity_of(rows: Sequence[Any], *, team: str | None) -> Velocity:
    """Experiments started and decided per month, and days from start to decision."""
    started = Counter(_month(r.started_at) for r in rows if r.started_at)
    decided = Counter(_month(r.decided_at) for r in rows if r.decided_at)
    days = [_days(r.started_at, r.decided_at) for r in rows if r.started_at and r.decided_at]
    months = sorted(started.keys() | decided.keys())
    return Velocity(
        team=team,
        months=[MonthVelocity(month=m, started=started[m], decided=decided[m]) for m in months],
        decided=sum(decided.values()),
        median_days_to_decision=_round(statistics.median(days)) if days else None,
        mean_days_to_decision=_round(statistics.fmean(days)) if days else None,
    )


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def _round(value: float) -> float:
    return round(value, 2)
