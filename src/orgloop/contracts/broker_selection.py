"""Which pacts a Pact Broker's consumer version selectors choose, over orgloop's consumer
contracts and deployments (pure: no IO), and the wire models of the broker's request bodies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from orgloop.contracts.models import ConsumerContract, Deployment
from orgloop.kernel.errors import InvalidInput

# orgloop has one line of versions per service: no branches and no tags to select by.
_UNSUPPORTED = ("tag", "fallback_tag", "branch", "fallback_branch", "matching_branch")


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Selector(_Camel):
    """One consumer version selector; selectors are combined with OR."""

    consumer: str | None = None
    latest: bool | None = None
    main_branch: bool | None = Field(default=None, description="Taken as latest: orgloop has one line of versions.")  # fmt: skip
    deployed_or_released: bool | None = None
    deployed: bool | None = None
    released: bool | None = None
    environment: str | None = None
    tag: str | None = Field(default=None, description="Not supported: refused.")
    fallback_tag: str | None = Field(default=None, description="Not supported: refused.")
    branch: str | None = Field(default=None, description="Not supported: refused.")
    fallback_branch: str | None = Field(default=None, description="Not supported: refused.")
    matching_branch: bool | None = Field(default=None, description="Not supported: refused.")


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


@dataclass
class Chosen:
    """One pact content of one consumer, the consumer versions that published it, and why."""

    contracts: list[ConsumerContract]
    why: list[str] = field(default_factory=list)


def select(
    pacts: Sequence[ConsumerContract],
    selectors: Sequence[Selector],
    *,
    deployments: Iterable[Deployment],
) -> list[Chosen]:
    """The pacts the selectors choose, one entry per (consumer, content); no selector means the
    latest pact of each consumer, as the broker's default."""
    for index, selector in enumerate(selectors):
        _check(index, selector)
    running = list(deployments)
    chosen: dict[tuple[str, str], Chosen] = {}
    for selector in selectors or [Selector(latest=True)]:
        wanted = [p for p in pacts if selector.consumer in (None, p.consumer)]
        why, picked = _apply(selector, wanted, running)
        for pact in picked:
            entry = chosen.setdefault((pact.consumer, pact.digest), Chosen(contracts=[]))
            if pact not in entry.contracts:
                entry.contracts.append(pact)
            if why not in entry.why:
                entry.why.append(why)
    return list(chosen.values())


def latest_per_consumer(pacts: Sequence[ConsumerContract]) -> list[ConsumerContract]:
    """The most recently published pact of each consumer (later publications win)."""
    latest: dict[str, ConsumerContract] = {}
    for pact in sorted(pacts, key=lambda p: p.created_at):
        latest[pact.consumer] = pact
    return [latest[c] for c in sorted(latest)]


def _apply(
    selector: Selector, pacts: list[ConsumerContract], running: list[Deployment]
) -> tuple[str, list[ConsumerContract]]:
    kinds = _deployment_kinds(selector)
    if kinds is None:
        return "latest pact", latest_per_consumer(pacts)
    where = f" in {selector.environment}" if selector.environment else ""
    live = {
        (d.service, d.version)
        for d in running
        if d.kind in kinds and selector.environment in (None, d.environment)
    }
    nouns: dict[tuple[str, ...], str] = {("deployment",): "deployed", ("release",): "released"}
    noun = nouns.get(kinds, "deployed or released")
    return f"pact of a version {noun}{where}", [
        p for p in pacts if (p.consumer, p.consumer_version) in live
    ]


def _deployment_kinds(selector: Selector) -> tuple[str, ...] | None:
    if selector.deployed_or_released or (
        selector.environment and not (selector.deployed or selector.released)
    ):
        return ("deployment", "release")
    if selector.deployed:
        return ("deployment",)
    if selector.released:
        return ("release",)
    return None


def _check(index: int, selector: Selector) -> None:
    for name in _UNSUPPORTED:
        if getattr(selector, name) is not None:
            raise InvalidInput.at(
                f"consumerVersionSelectors[{index}].{to_camel(name)}",
                "orgloop has no branches or tags; select by latest, deployed, released, "
                "deployedOrReleased or environment",
            )
