"""The ruleset payload as a wire model: the JSON Schema of what ``GET /api/v1/sdk/ruleset`` sends
and ``orgloop.sdk.Client(ruleset=...)`` / ``Client.from_file`` accept.

The engine reads the payload with its own dependency-free reader (``engine.ruleset``); these
models only describe it, for the OpenAPI document (components ``SdkRuleset`` and the rest) and for
tests that check real payloads against the description.  Fields left out take the defaults shown;
the meaning of each is in docs/flags.md and the engine's README.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Range = tuple[float, float]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SdkParentCondition(_Wire):
    """A prerequisite: ``condition`` is tested against ``{"value": <parent flag's value>}``."""

    flag: str
    condition: dict[str, Any] = Field(default_factory=dict)
    gate: bool = Field(default=False, description="When false, a failing parent skips the rule.")


class SdkFilter(_Wire):
    """A unit passes when its hash of ``attribute`` with ``seed`` falls in one of ``ranges``."""

    seed: str
    ranges: list[Range]
    attribute: str = "id"
    hash_version: int | str = 2


class SdkVariationMeta(_Wire):
    key: str | None = None
    name: str | None = None
    passthrough: bool = False


class SdkRule(_Wire):
    """One rule, tried in order: ``force`` sets ``value`` for matching units (within
    ``coverage``); ``experiment`` assigns one of ``variations`` by the unit's hash;
    ``prerequisite`` gates on other flags."""

    kind: Literal["force", "experiment", "prerequisite"]
    id: str = ""
    condition: dict[str, Any] | None = Field(
        default=None, description="A MongoDB-style query on the unit's attributes."
    )
    parent_conditions: list[SdkParentCondition] = Field(default_factory=list)
    filters: list[SdkFilter] = Field(default_factory=list)
    value: Any = None
    coverage: float | None = Field(default=None, ge=0, le=1)
    range: Range | None = None
    hash_attribute: str = "id"
    fallback_attribute: str | None = None
    seed: str | None = None
    hash_version: int | str = 1
    key: str | None = Field(default=None, description="The experiment key (experiment rules).")
    variations: list[Any] = Field(default_factory=list)
    weights: list[float] | None = None
    ranges: list[Range] | None = None
    namespace: tuple[str, float, float] | None = Field(
        default=None, description="[id, start, end]: mutually exclusive experiments."
    )
    meta: list[SdkVariationMeta] = Field(default_factory=list)


class SdkFlag(_Wire):
    """A flag as one environment sees it (its key is the key of ``flags``)."""

    type: Literal["boolean", "string", "number", "json"] = "json"
    default_value: Any = None
    enabled: bool = True
    rules: list[SdkRule] = Field(default_factory=list)


EXAMPLE: dict[str, Any] = {
    "environment": "production",
    "version": 7,
    "flags": {
        "new-checkout": {
            "type": "boolean",
            "default_value": False,
            "rules": [
                {"kind": "force", "condition": {"plan": "pro"}, "value": True},
                {"kind": "force", "value": True, "coverage": 0.2, "seed": "new-checkout"},
            ],
        },
        "checkout-layout": {
            "type": "string",
            "default_value": "classic",
            "rules": [
                {
                    "kind": "experiment",
                    "key": "one-page-checkout",
                    "variations": ["classic", "one-page"],
                    "weights": [0.5, 0.5],
                    "meta": [{"key": "control"}, {"key": "treatment"}],
                }
            ],
        },
    },
}


class SdkRuleset(_Wire):
    """Everything an SDK needs to evaluate every flag of one environment locally: the body of
    ``GET /api/v1/sdk/ruleset`` and the file ``Client.from_file`` reads."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    environment: str = ""
    version: int = Field(default=0, description="Grows with each change of the environment.")
    flags: dict[str, SdkFlag] = Field(default_factory=dict)
    saved_groups: dict[str, list[Any]] = Field(
        default_factory=dict, description="Named value lists that conditions refer to."
    )
