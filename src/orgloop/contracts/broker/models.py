"""Wire models of the request bodies a Pact Broker client sends (camelCase on the wire)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Selector(_Camel):
    """One consumer version selector; selectors are combined with OR."""

    consumer: str | None = None
    latest: bool | None = None
    main_branch: bool | None = Field(default=None, description="The latest of the consumer's main branch (its pacticipant mainBranch); the latest version when none is set.")  # fmt: skip
    deployed_or_released: bool | None = None
    deployed: bool | None = None
    released: bool | None = None
    environment: str | None = None
    tag: str | None = Field(default=None, description="Versions with this tag (the latest with latest: true).")  # fmt: skip
    fallback_tag: str | None = None
    branch: str | None = Field(default=None, description="The latest version of this branch.")  # fmt: skip
    fallback_branch: str | None = None
    matching_branch: bool | None = Field(default=None, description="The latest version of the provider version's branch.")  # fmt: skip


class ForVerification(_Camel):
    """The body a verifier POSTs to ``pb:provider-pacts-for-verification``."""

    consumer_version_selectors: list[Selector] = Field(default_factory=list)
    include_pending_status: bool = False
    include_wip_pacts_since: str | None = None
    provider_version_tags: list[str] = Field(default_factory=list)
    provider_version_branch: str | None = None


class VerificationResult(_Camel):
    """The body a verifier POSTs to ``pb:publish-verification-results``."""

    success: bool
    provider_application_version: str
    test_results: Any = None
    verified_by: Any = None
    build_url: str | None = None


class EnvironmentCreate(_Camel):
    """The body of ``pact-broker create-environment``."""

    name: str = Field(min_length=1, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)
    production: bool = False
    contacts: list[Any] = Field(default_factory=list, description="Accepted and not kept.")


class PacticipantUpdate(_Camel):
    """The body of ``pact-broker create-or-update-pacticipant``."""

    name: str | None = None
    display_name: str | None = None
    main_branch: str | None = None
    repository_url: str | None = None


class PublishedContract(_Camel):
    consumer_name: str
    provider_name: str
    specification: str = "pact"
    content_type: str = "application/json"
    content: str = Field(description="The pact file, base64-encoded.")
    on_conflict: str | None = None


class PublishContracts(_Camel):
    """The body a ``pact-broker publish`` POSTs to ``pb:publish-contracts``."""

    pacticipant_name: str
    pacticipant_version_number: str
    branch: str | None = None
    tags: list[str] = Field(default_factory=list)
    build_url: str | None = None
    contracts: list[PublishedContract]


class RecordRunning(_Camel):
    """The body of ``record-deployment`` and ``record-release``."""

    application_instance: str | None = None
    target: str | None = None
