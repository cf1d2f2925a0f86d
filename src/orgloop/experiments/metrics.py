"""Metric definitions: what to measure per unit, over which window, and how to read the result.

Pure models (pydantic) plus ``load_metrics`` for YAML files; no IO beyond reading the file given.
A metric first reduces each unit's events in its window to one number (``aggregation``), then the
analysis compares variants on that number: its mean (``mean``), the share of units where it is
non-zero (``proportion``), a ratio of two such numbers (``ratio``) or a quantile (``quantile``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orgloop.experiments.errors import MetricInvalid
from orgloop.kernel import yamlguard

Aggregation = Literal["count", "sum", "max", "any"]
Kind = Literal["mean", "proportion", "ratio", "quantile", "span"]
SpanMeasure = Literal["latency", "error_rate"]
Direction = Literal["increase", "decrease"]

_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """Hours relative to each unit's first exposure: events in ``[start, end)`` count."""

    start_hours: float = Field(default=0.0, ge=-24 * 365)
    end_hours: float | None = Field(default=None, description="None: up to the analysis end.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_hours is not None and self.end_hours <= self.start_hours:
            raise ValueError("end_hours must be greater than start_hours")
        return self


def micros(hours: float) -> int:
    """A window bound in whole microseconds (to the second), as the analysis compares times."""
    return round(hours * 3600) * 1_000_000


class Cap(_Strict):
    """Winsorisation of per-unit values: at a fixed value, or at a percentile of all units."""

    absolute: float | None = Field(default=None, gt=0)
    percentile: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.absolute is None) == (self.percentile is None):
            raise ValueError("set exactly one of absolute or percentile")
        return self


class Measure(_Strict):
    """One per-unit number: the events named ``event`` in the window, reduced by ``aggregation``."""

    event: str = Field(min_length=1, max_length=200)
    aggregation: Aggregation = "count"


class Metric(_Strict):
    """A metric definition (see docs/events-and-metrics.md)."""

    key: str = Field(pattern=_KEY_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    kind: Kind = "mean"
    event: str | None = Field(default=None, min_length=1, max_length=200)
    aggregation: Aggregation = "count"
    numerator: Measure | None = None
    denominator: Measure | None = None
    quantile: float | None = Field(default=None, gt=0, lt=1)
    window: Window = Window()
    cap: Cap | None = None
    direction: Direction = "increase"
    guardrail: bool = False
    cuped_lookback_hours: float | None = Field(
        default=336.0, gt=0, description="Pre-exposure window of the CUPED covariate; None: off."
    )
    # kind "span" (experiments/spanmetrics.py): requests of a service (and route), from traces.
    service: str | None = Field(default=None, min_length=1, max_length=200)
    route: str | None = Field(default=None, min_length=1, max_length=500)
    measure: SpanMeasure | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        if (self.kind == "span") != (self.service is not None and self.measure is not None):
            raise ValueError("service and measure are required for, and only for, span metrics")
        if self.kind == "span":
            if self.event or self.numerator or self.denominator or self.quantile or self.cap:
                raise ValueError("a span metric takes service, route and measure only")
            return self
        if self.route is not None:
            raise ValueError("route belongs to span metrics only")
        if self.kind == "ratio":
            if self.numerator is None or self.denominator is None:
                raise ValueError("a ratio metric needs numerator and denominator")
            if self.event is not None:
                raise ValueError("a ratio metric takes numerator and denominator, not event")
        else:
            if self.event is None:
                raise ValueError(f"a {self.kind} metric needs the event it is computed from")
            if self.numerator is not None or self.denominator is not None:
                raise ValueError("numerator and denominator belong to ratio metrics only")
        if (self.kind == "quantile") != (self.quantile is not None):
            raise ValueError("quantile (0 < q < 1) is required for, and only for, quantile metrics")
        if self.kind == "proportion" and self.aggregation != "any":
            raise ValueError("a proportion metric uses aggregation 'any' (or leave it out)")
        return self

    @model_validator(mode="before")
    @classmethod
    def _proportion_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "proportion":
            return {"aggregation": "any", **data}
        if isinstance(data, dict) and data.get("kind") == "span":  # lower is better; no CUPED
            return {"direction": "decrease", "cuped_lookback_hours": None, **data}
        return data

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The per-unit numbers this metric needs: one, or numerator and denominator."""
        if self.numerator is not None and self.denominator is not None:
            return (self.numerator, self.denominator)
        if self.kind == "span":
            return ()
        assert self.event is not None
        return (Measure(event=self.event, aggregation=self.aggregation),)


class MetricSet(_Strict):
    metrics: list[Metric] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        keys = [m.key for m in self.metrics]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"metric keys must be unique; repeated: {', '.join(duplicates)}")
        return self


def parse_metrics(data: Any) -> list[Metric]:
    """Validate ``{"metrics": [...]}`` (or a bare list); errors name each field's path."""
    if isinstance(data, list):
        data = {"metrics": data}
    try:
        return list(MetricSet.model_validate(data).metrics)
    except ValidationError as exc:
        errors = [{"path": _path(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        first = errors[0]
        raise MetricInvalid(
            f"{first['path']}: {first['message']}" if first["path"] else first["message"],
            details={"errors": errors},
        ) from None


def load_metrics(path: Path) -> list[Metric]:
    """Read metric definitions from a YAML file (loaded safely)."""
    try:
        data = yamlguard.load(path.read_text(encoding="utf-8"))
    except yamlguard.YamlRefused as exc:
        raise MetricInvalid.at(str(path), f"not valid YAML: {exc}") from None
    return parse_metrics(data)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
