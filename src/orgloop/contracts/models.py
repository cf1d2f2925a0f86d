"""Wire models of the contracts slice: API versions, consumer contracts, verifications,
deployments and the can-i-deploy verdict."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from orgloop.contracts.observed import ObservedWarning

ContractKind = Literal["pact", "light"]
DeploymentKind = Literal["deployment", "release"]


class ApiVersionCreate(BaseModel):
    version: str = Field(description="Semantic version of the service, e.g. 2.1.0.")
    document: dict[str, Any] | str = Field(description="The OpenAPI document, parsed or as text.")
    api: str | None = Field(default=None, description="The API's name in the catalog.")


class ApiVersion(BaseModel):
    service: str
    version: str
    api: str | None
    digest: str
    created_at: datetime


class Finding(BaseModel):
    id: str
    level: str
    operation: str
    path: str
    message: str


class Changelog(BaseModel):
    service: str
    from_version: str
    to_version: str
    changes: list[Finding]
    summary: dict[str, int]


class ContractCreate(BaseModel):
    consumer_version: str
    provider: str
    kind: ContractKind
    content: dict[str, Any] | str = Field(description="The Pact file or the light contract.")


class ConsumerContract(BaseModel):
    consumer: str
    consumer_version: str
    provider: str
    kind: ContractKind
    digest: str
    created_at: datetime
    unsupported: list[dict[str, str]] = Field(
        default_factory=list, description="Pact interactions that are not checked, and why."
    )


class VerificationCreate(BaseModel):
    provider_version: str
    consumer: str
    consumer_version: str
    success: bool
    results: Any = None


class PactVerificationCreate(BaseModel):
    """A verification result for one pact content, whichever consumer versions published it."""

    provider_version: str
    success: bool
    results: Any = None


class Verification(VerificationCreate):
    provider: str
    created_at: datetime


class DeploymentCreate(BaseModel):
    version: str
    environment: str
    started_at: datetime | None = Field(
        default=None,
        description=(
            "When the change happened, for recording history after the fact (default: now). "
            "Never in the future, and never before the start of the deployment or release it "
            "replaces or ends (docs/contracts.md)."
        ),
    )


class Deployment(BaseModel):
    service: str
    environment: str
    version: str
    kind: DeploymentKind
    team: str | None = None
    started_at: datetime


class DeploymentRecord(BaseModel):
    """One recorded deployment, current or past (``contracts/history.py``)."""

    service: str
    environment: str
    version: str
    team: str | None = None
    recorded_by: str | None = Field(description="Who recorded it, as the audit log names them; null for deployments recorded before the history was kept.")  # fmt: skip
    started_at: datetime
    ended_at: datetime | None = Field(description="When another deployment replaced it or it was undeployed; null while it runs.")  # fmt: skip
    current: bool


class Reason(BaseModel):
    kind: str
    service: str
    version: str | None
    team: str | None
    detail: str


class CanIDeploy(BaseModel):
    service: str
    version: str
    environment: str
    deployable: bool | None = Field(description="true yes, false no, null unknown.")
    reasons: list[Reason]
    warnings: list[ObservedWarning] = Field(
        default_factory=list,
        description="Consumers seen in traffic without a consumer contract (docs/contracts.md).",
    )


class DeprecatedUse(BaseModel):
    """A consumer version that still uses what its provider wants to retire."""

    kind: Literal["deprecated_operation", "old_major_version"]
    environment: str
    provider: str
    provider_version: str = Field(description="The provider version that deprecates it, or the old major version the consumer needs.")  # fmt: skip
    provider_team: str | None
    consumer: str
    consumer_version: str
    consumer_team: str | None
    operation: str | None = Field(description="GET /orders/{id}; null for an old major version.")
    latest_version: str | None = Field(description="The provider's newest recorded version.")
    sunset: date | None = Field(description="x-sunset of the operation or of the document.")
    days_left: int | None = Field(description="Days until the sunset; negative once past it.")
    past_sunset: bool
    detail: str


class DeprecationReport(BaseModel):
    provider: str | None
    environment: str | None
    as_of: date
    uses: list[DeprecatedUse] = Field(description="Soonest sunset first; no sunset date last.")
    summary: dict[str, int] = Field(
        description="deprecated_operation, old_major_version, past_sunset and consumers counts."
    )
