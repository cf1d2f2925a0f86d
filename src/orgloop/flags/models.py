"""Wire models of the flags API: flags, their per-environment configuration, explanations,
saved groups."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from orgloop.kernel.models import Page

FlagType = Literal["boolean", "string", "number", "json"]
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
ENV_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"


class EnvironmentConfig(BaseModel):
    """A flag in one environment: on or off, and its ordered rules (the engine's rule format)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    rules: list[dict[str, Any]] = Field(default_factory=list)


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN, description="Unique; what the SDK asks for.")
    type: FlagType = "boolean"
    default_value: Any = None
    owner: str = Field(min_length=1, max_length=400, description="The owning team's ref.")
    tags: list[str] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)
    environments: dict[str, EnvironmentConfig] = Field(default_factory=dict)


class FlagUpdate(BaseModel):
    """Only the fields sent change; the type of a flag never changes."""

    model_config = ConfigDict(extra="forbid")

    default_value: Any = None
    owner: str | None = Field(default=None, min_length=1, max_length=400)
    tags: list[str] | None = None
    description: str | None = Field(default=None, max_length=2000)


class Flag(BaseModel):
    key: str
    type: FlagType
    default_value: Any
    owner: str
    tags: list[str]
    description: str
    environments: dict[str, EnvironmentConfig]
    created_at: datetime
    updated_at: datetime


FlagPage = Page[Flag]


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environment: str = Field(pattern=ENV_PATTERN)
    attributes: dict[str, Any] = Field(default_factory=dict)


class Explanation(BaseModel):
    """The engine's result for one unit, with each step it took in words."""

    flag: str
    environment: str
    value: Any
    on: bool
    source: str
    rule_id: str
    experiment_key: str | None
    variation_id: int | None
    variation_key: str | None
    in_experiment: bool
    hash_attribute: str | None
    hash_value: Any
    bucket: float | None
    explanation: list[str]


MAX_GROUP_VALUES = 10_000
MAX_GROUP_VALUE_LENGTH = 400


def _group_value(value: Any) -> Any:
    """One clear error per bad value (a plain union would report one per member type)."""
    if isinstance(value, str) and len(value) <= MAX_GROUP_VALUE_LENGTH:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise ValueError(f"a value is a string (up to {MAX_GROUP_VALUE_LENGTH} characters) or a number")


GroupValue = Annotated[str | int | float, BeforeValidator(_group_value)]


class SavedGroupUpdate(BaseModel):
    """A saved group's whole content (PUT replaces it); duplicate values are kept once."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=400, description="The owning team's ref.")
    description: str = Field(default="", max_length=2000)
    values: list[GroupValue] = Field(
        max_length=MAX_GROUP_VALUES, description="Attribute values (strings or numbers)."
    )


class SavedGroupCreate(SavedGroupUpdate):
    key: str = Field(pattern=KEY_PATTERN, description="What `$inGroup` conditions name.")


class SavedGroup(BaseModel):
    key: str
    owner: str
    description: str
    values: list[str | int | float]
    created_at: datetime
    updated_at: datetime


SavedGroupPage = Page[SavedGroup]
