"""Wire models of experiments: creation, the experiment itself, decisions, alerts, learnings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orgloop.experiments.analysis import Correction, Method

Status = Literal["draft", "running", "stopped", "decided"]
DecisionKind = Literal["ship", "kill", "iterate"]

_KEY = r"^[a-z0-9][a-z0-9_-]{0,99}$"
_ENV = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
Environment = Annotated[str, Field(pattern=_ENV)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Variation(_In):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    weight: float = Field(gt=0, description="Share of traffic (weights are normalised).")


class PowerPlan(_In):
    """The planned sample size per variant comes from these: baseline, spread, and the MDE.

    Leave ``baseline_std`` out for a conversion metric: ``baseline`` is then its rate (0 < p < 1).
    """

    baseline: float = Field(description="Control mean (or conversion rate) of the primary metric.")
    baseline_std: float | None = Field(default=None, gt=0)
    mde: float = Field(description="Smallest relative lift worth detecting, e.g. 0.02 for +2%.")
    power: float = Field(default=0.8, gt=0, lt=1)


class ExperimentCreate(_In):
    key: str = Field(pattern=_KEY)
    hypothesis: str = Field(min_length=1, max_length=5000)
    owner: str = Field(min_length=1, max_length=400, description="The owning team.")
    flag_key: str = Field(min_length=1, max_length=200)
    variations: list[Variation] = Field(min_length=2, max_length=20)
    control: str | None = Field(default=None, description="Default: the first variation.")
    primary_metrics: list[dict[str, Any]] = Field(min_length=1)
    secondary_metrics: list[dict[str, Any]] = []
    guardrail_metrics: list[dict[str, Any]] = []
    alpha: float = Field(default=0.05, gt=0, lt=1)
    method: Method = "frequentist"
    correction: Correction = "holm"
    cuped: bool = True
    plan: PowerPlan | None = None
    auto_kill_environments: list[Environment] = Field(
        default_factory=list,
        max_length=20,
        description="Environments where the flag is killed when an alert (SRM, guardrail) fires.",
    )
    environment: Environment = Field(
        default="production",
        description="Where the experiment runs: its analysis counts the exposures and events sent "
        "with this environment's SDK keys (or with no environment: admin and owning-team tokens), "
        "never those of another environment.",
    )

    @model_validator(mode="after")
    def _variations_fit(self) -> Self:
        keys = [v.key for v in self.variations]
        if len(set(keys)) != len(keys):
            raise ValueError("variation keys must be unique")
        if self.control is not None and self.control not in keys:
            raise ValueError(f"control {self.control!r} is not one of the variations")
        return self


class Experiment(BaseModel):
    key: str
    hypothesis: str
    owner: str
    flag_key: str
    status: Status
    variations: list[Variation]
    control: str
    metrics: list[dict[str, Any]] = Field(description="Definitions, each with its role.")
    alpha: float
    method: Method
    correction: Correction
    cuped: bool
    plan: PowerPlan | None
    planned_sample_size: int | None = Field(description="Units per variant, from the plan.")
    auto_kill_environments: list[str] = Field(
        default_factory=list, description="Where the flag is killed when an alert fires."
    )
    environment: str = Field(
        default="production", description="Whose exposures and events the analysis counts."
    )
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None
    decided_at: datetime | None
    decision: DecisionKind | None
    decision_reason: str | None
    last_analysis: dict[str, Any] | None


class ExperimentPage(BaseModel):
    items: list[Experiment]
    total: int
    limit: int
    offset: int


class DecisionIn(_In):
    decision: DecisionKind
    reason: str = Field(min_length=1, max_length=5000)


class Decision(BaseModel):
    experiment: str
    decision: DecisionKind
    reason: str
    decided_at: datetime
    evidence: dict[str, Any] = Field(description="The analysis the decision was made on.")


class Alert(BaseModel):
    id: int
    kind: Literal["srm", "guardrail"]
    message: str
    details: dict[str, Any]
    at: datetime


class Learning(BaseModel):
    key: str
    owner: str
    hypothesis: str
    status: Status
    recommendation: str | None
    result: str | None
    decision: DecisionKind | None
    decision_reason: str | None
    started_at: datetime | None
    decided_at: datetime | None


class LearningPage(BaseModel):
    items: list[Learning]
    total: int


class MonthVelocity(BaseModel):
    month: str = Field(description="YYYY-MM")
    started: int
    decided: int


class Velocity(BaseModel):
    team: str | None
    months: list[MonthVelocity]
    decided: int
    median_days_to_decision: float | None
    mean_days_to_decision: float | None
