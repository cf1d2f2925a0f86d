"""The generic import format (JSON) of changes, deployments, incidents and work items.

Every source (GitHub and GitLab webhooks, Jira, CSV) is mapped to these records before anything is
checked or stored; the format is documented in docs/insights-delivery.md. The first three follow
DORA's Four Keys tables (changes, deployments, incidents), so Four Keys data moves over as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

Id = Field(min_length=1, max_length=200)
Name = Field(min_length=1, max_length=200)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ChangeRecord(_Record):
    change_id: str = Id
    service: str = Name
    time_created: AwareDatetime
    head: str | None = Field(
        default=None, description="The pushed head commit this change arrived with (Four Keys)."
    )


class DeploymentRecord(_Record):
    deploy_id: str = Id
    service: str = Name
    time_created: AwareDatetime
    environment: str = "production"
    main_commit: str | None = Field(default=None, description="The deployed commit.")
    changes: list[str] = Field(default=[], description="Change ids this deployment shipped.")


class IncidentRecord(_Record):
    incident_id: str = Id
    service: str = Name
    time_created: AwareDatetime
    time_resolved: AwareDatetime | None = None
    root_cause: list[str] = Field(default=[], description="Change ids or deploy ids.")


class TransitionRecord(_Record):
    status: str = Name
    at: AwareDatetime
    team: str | None = Field(default=None, description="Who holds the item from here on.")


class WorkItemRecord(_Record):
    item_id: str = Id
    type: str = Field(default="Story", min_length=1, max_length=100)
    team: str = Field(min_length=1, max_length=200, description="The item's own team.")
    capability: str | None = Field(default=None, description="A catalog System.")
    created: AwareDatetime
    introduced_by: str | None = Field(default=None, description="A defect's introducing change.")
    transitions: list[TransitionRecord] = Field(min_length=1)


KINDS: dict[str, type[_Record]] = {
    "changes": ChangeRecord,
    "deployments": DeploymentRecord,
    "incidents": IncidentRecord,
    "work_items": WorkItemRecord,
}

R = TypeVar("R", bound=_Record)


@dataclass(frozen=True)
class Located(Generic[R]):
    where: str  # "[3]" or "line 5": the record in its file
    record: R


@dataclass
class Batch:
    """One file's records, with every problem found so far (nothing is stored while any)."""

    file: str
    source: str
    changes: list[Located[ChangeRecord]] = field(default_factory=list)
    deployments: list[Located[DeploymentRecord]] = field(default_factory=list)
    incidents: list[Located[IncidentRecord]] = field(default_factory=list)
    work_items: list[Located[WorkItemRecord]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0

    def problem(self, where: str, field_: str | None, message: str) -> None:
        path = f"{where}.{field_}" if field_ else where
        self.problems.append(
            {"file": self.file, "record": where, "field": field_, "path": path, "message": message}
        )

    def add(self, kind: str, where: str, data: Any) -> None:
        """Validate one record of ``kind``; keep it, or note each failing field."""
        model = KINDS[kind]
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = ".".join(str(p) for p in error["loc"]) or None
                self.problem(where, loc, error["msg"])
            return
        getattr(self, kind).append(Located(where, record))

    def count(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}


def parse_generic(batch: Batch, data: Any) -> None:
    """``{"changes": [...], "deployments": [...], "incidents": [...], "work_items": [...]}``."""
    if not isinstance(data, dict):
        batch.problem(
            "$", None, "expected an object with changes, deployments, incidents or work_items"
        )
        return
    unknown = sorted(set(data) - set(KINDS))
    for key in unknown:
        batch.problem(key, None, f"unknown key; expected one of {', '.join(KINDS)}")
    for kind in KINDS:
        items = data.get(kind, [])
        if not isinstance(items, list):
            batch.problem(kind, None, "expected a list")
            continue
        for i, item in enumerate(items):
            batch.add(kind, f"{kind}[{i}]", item)
