"""Which pacts a Pact Broker's consumer version selectors choose, over orgloop's consumer
contracts and deployments (pure: no IO)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orgloop.contracts.broker.models import Selector
from orgloop.contracts.models import ConsumerContract, Deployment
from orgloop.kernel.errors import InvalidInput

Labels = Mapping[tuple[str, str], set[tuple[str, str]]]
"""(service, version) -> its {("branch", name), ("tag", name)}."""


@dataclass(frozen=True)
class Lines:
    """What branch and tag selectors read: the labels of the consumer versions, the consumers'
    main branches and the branch of the provider version being verified."""

    labels: Labels = field(default_factory=dict)
    main_branches: Mapping[str, str | None] = field(default_factory=dict)
    provider_branch: str | None = None


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
    lines: Lines | None = None,
) -> list[Chosen]:
    """The pacts the selectors choose, one entry per (consumer, content); no selector means the
    latest pact of each consumer, as the broker's default."""
    lines = lines or Lines()
    for index, selector in enumerate(selectors):
        _check(index, selector, lines)
    running = list(deployments)
    chosen: dict[tuple[str, str], Chosen] = {}
    for selector in selectors or [Selector(latest=True)]:
        wanted = [p for p in pacts if selector.consumer in (None, p.consumer)]
        labelled = _labelled(selector, wanted, lines)
        if labelled is not None:
            why, picked = labelled
        else:
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


def _labelled(
    selector: Selector, pacts: list[ConsumerContract], lines: Lines
) -> tuple[str, list[ConsumerContract]] | None:
    """Branch, tag and main-branch selectors, over the versions' recorded labels."""
    if selector.matching_branch:
        return _on(pacts, lines, "branch", lines.provider_branch or "", latest=True)
    if selector.branch is not None:
        why, found = _on(pacts, lines, "branch", selector.branch, latest=True)
        if not found and selector.fallback_branch:
            return _on(pacts, lines, "branch", selector.fallback_branch, latest=True)
        return why, found
    if selector.tag is not None:
        why, found = _on(pacts, lines, "tag", selector.tag, latest=bool(selector.latest))
        if not found and selector.fallback_tag:
            return _on(pacts, lines, "tag", selector.fallback_tag, latest=bool(selector.latest))
        return why, found
    if selector.main_branch:
        picked: list[ConsumerContract] = []
        for consumer in sorted({p.consumer for p in pacts}):
            mine = [p for p in pacts if p.consumer == consumer]
            main = lines.main_branches.get(consumer)
            picked += _on(mine, lines, "branch", main, latest=True)[1] if main else (
                latest_per_consumer(mine)
            )  # fmt: skip
        return "latest pact of the main branch", picked
    return None


def _on(
    pacts: list[ConsumerContract], lines: Lines, kind: str, name: str, *, latest: bool
) -> tuple[str, list[ConsumerContract]]:
    found = [p for p in pacts if (kind, name) in lines.labels.get((p.consumer, p.consumer_version), set())]  # fmt: skip
    noun = f"{kind} {name}"
    if latest:
        return f"latest pact of {noun}", latest_per_consumer(found)
    return f"pact of a version with the {noun}", found


def _check(index: int, selector: Selector, lines: Lines) -> None:
    if selector.matching_branch and not lines.provider_branch:
        raise InvalidInput.at(
            f"consumerVersionSelectors[{index}].matchingBranch",
            "matchingBranch needs the provider version's branch (providerVersionBranch)",
        )
