"""Observed consumers: the port through which the contracts slice learns who really calls a
provider, and its wire models.

The contracts slice does not read spans: the composition root (``app.py``) fills the port from
the traces slice's service graph. Without it nothing is observed, and can-i-deploy behaves as if
no traffic were known. ``candeploy/observed.py`` compares what is observed with the consumer
contracts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, Field

#: What can-i-deploy does with a consumer seen in traffic that has no contract with the provider:
#: report a warning (the default), answer no, or not look at traffic at all.
ObservedPolicy = Literal["warn", "block", "ignore"]

#: How far back can-i-deploy looks for traffic (the traces slice's default retention).
OBSERVED_WINDOW = timedelta(hours=72)


class ObservedCall(BaseModel):
    """Calls of one consumer version to one operation of one provider version, in a window."""

    consumer: str = Field(description="Catalog name of the calling service (its runtime name if unmapped)")  # fmt: skip
    consumer_version: str = Field(description="The caller's service.version; empty if unknown")
    operation: str = Field(description="http.route, else rpc.service/rpc.method, else span name")
    provider_version: str = Field(description="The provider's service.version; empty if unknown")
    calls: float = Field(description="Calls, weighted by sampling probability")
    failed: float
    last_seen: datetime


class ObservedConsumers(BaseModel):
    """Who called a provider in a window, and whether each consumer has a contract with it."""

    provider: str
    since: datetime
    until: datetime
    calls: list[ObservedCall]
    without_contract: list[str] = Field(
        description="Consumers seen in traffic that have no consumer contract with the provider"
    )


class ObservedWarning(BaseModel):
    """A consumer version seen calling the provider without a consumer contract with it."""

    kind: Literal["observed_without_contract"] = "observed_without_contract"
    consumer: str
    consumer_version: str
    operations: list[str]
    calls: float
    team: str | None = None
    detail: str


class ObservedTraffic(Protocol):
    """The calls to ``provider`` (a catalog service name) observed since ``since``; with ``env``,
    those of that environment (and those whose spans name no environment)."""

    def __call__(
        self, provider: str, *, since: datetime, env: str | None = None
    ) -> list[ObservedCall]: ...


def nothing_observed(
    provider: str, *, since: datetime, env: str | None = None
) -> list[ObservedCall]:
    """The default port: no traffic is known."""
    return []
