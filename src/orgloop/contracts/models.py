"""Wire models of the contracts slice: API versions, consumer contracts, verifications,
deployments and the can-i-deploy verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

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


class Verification(VerificationCreate):
    provider: str
    created_at: datetime


class DeploymentCreate(BaseModel):
    version: str
    environment: str


class Deployment(BaseModel):
    service: str
    environment: str
    version: str
    kind: DeploymentKind
    team: str | None = None
    started_at: datetime


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
