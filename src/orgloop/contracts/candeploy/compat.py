"""can-i-deploy, as pure logic: one candidate version against everything in an environment.

The service gathers the facts (what runs or is supported in the environment, the contracts of
the candidate and of its consumers there, the API documents, the verification results) and this
module judges them. The verdict is ``True`` (yes), ``False`` (no) or ``None`` (unknown: a fact
that decides the answer is missing). Every reason names the other service, its version, its
owning team and the exact operation or field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from orgloop.contracts.candeploy.memo import Memo
from orgloop.contracts.openapi.diff import diff
from orgloop.contracts.openapi.document import Document
from orgloop.contracts.openapi.loader import parse_document
from orgloop.contracts.openapi.model import Change
from orgloop.contracts.openapi.policy import Policy
from orgloop.contracts.pact.light import check_light, parse_light
from orgloop.contracts.pact.model import parse_pact
from orgloop.contracts.pact.verify import verify_pact

ReasonKind = Literal[
    "unknown_version",
    "no_api_document",
    "provider_missing",
    "provider_unknown",
    "provider_breaks_contract",
    "provider_verification_failed",
    "breaks_consumer",
    "consumer_verification_failed",
    "breaking_change",
]
NO_KINDS = {
    "provider_missing",
    "provider_breaks_contract",
    "provider_verification_failed",
    "breaks_consumer",
    "consumer_verification_failed",
    "breaking_change",
}
_POLICY = Policy(versioning=False)


@dataclass(frozen=True, slots=True)
class Running:
    """One version deployed (or a release supported) in the environment."""

    service: str
    version: str
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """A consumer version's contract on a provider: ``kind`` is "pact" or "light"."""

    consumer: str
    consumer_version: str
    provider: str
    kind: str
    content: Any
    digest: str = ""  # of the content; results computed from it are memoised under it


@dataclass(frozen=True, slots=True)
class Reason:
    kind: ReasonKind
    service: str
    version: str | None
    team: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "service": self.service,
            "version": self.version,
            "team": self.team,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Facts:
    """Everything can-i-deploy needs to know, gathered by the service.

    ``running`` may be narrowed to what matters to the candidate: the versions of the providers
    it needs, of its own service and of the consumers with a contract on it. ``digests`` names
    the content of each document so that checks and diffs are computed once per content in
    ``memo`` (a long-lived one in the service; a fresh one by default).
    """

    service: str
    version: str
    document: dict[str, Any] | None
    known: bool
    running: tuple[Running, ...]
    own_contracts: tuple[Contract, ...]
    consumer_contracts: tuple[Contract, ...]
    documents: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    verified: dict[tuple[str, str, str, str], bool] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    document_digest: str = ""
    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    memo: Memo = field(default_factory=lambda: Memo(limit=256))
    today: dt.date | None = None  # sunset rules are judged on it (the real date when None)
    _parsed: dict[str, Document] = field(default_factory=dict, repr=False, compare=False)

    def problems(self, contract: Contract, document: dict[str, Any], digest: str) -> list[str]:
        key = ("problems", contract.digest, digest)
        return list(self.memo.compute(key, lambda: tuple(contract_problems(contract, document))))

    def uses(self, contract: Contract) -> frozenset[str]:
        key = ("uses", contract.digest)
        return self.memo.compute(key, lambda: frozenset(used_operations(contract)))

    def breaking(self, base: dict[str, Any], base_digest: str) -> tuple[Change, ...]:
        """The error-level diff findings from ``base`` to the candidate's document."""
        assert self.document is not None
        if base_digest and base_digest == self.document_digest:
            return ()  # the same content: nothing changed
        revision = self.document

        def compute() -> tuple[Change, ...]:
            # The candidate is diffed against each running version: parse it once per answer.
            if "candidate" not in self._parsed:
                self._parsed["candidate"] = parse_document(revision)
            changes = diff(
                parse_document(base), self._parsed["candidate"], policy=_POLICY, today=self.today
            )
            return tuple(c for c in changes if c.level == "error")

        # Sunset rules depend on the date, so a result is kept for the day it was computed on.
        day = self.today.isoformat() if self.today else ""
        key = ("breaking", base_digest, self.document_digest, day)
        return self.memo.compute(key, compute)


Verdict = bool | None


def decide(reasons: list[Reason]) -> Verdict:
    if any(r.kind in NO_KINDS for r in reasons):
        return False
    return None if reasons else True


def judge(facts: Facts) -> tuple[Verdict, list[Reason]]:
    """The answer and its reasons, blocking ones first."""
    if not facts.known:
        detail = f"orgloop has no API document and no contract for {facts.service} {facts.version}"
        reasons = [Reason("unknown_version", facts.service, facts.version, None, detail)]
        return None, reasons
    reasons = as_consumer(facts) + as_provider(facts)
    reasons.sort(key=lambda r: (r.kind not in NO_KINDS, r.service, r.version or "", r.detail))
    return decide(reasons), reasons


def as_consumer(facts: Facts) -> list[Reason]:
    """Every provider the candidate needs is present and keeps the candidate's contract."""
    reasons: list[Reason] = []
    for contract in facts.own_contracts:
        if contract.provider in facts.ignore:
            continue
        versions = [r for r in facts.running if r.service == contract.provider]
        if not versions:
            detail = f"{facts.service} {facts.version} needs {contract.provider}, which is not in the environment"  # fmt: skip
            reasons.append(Reason("provider_missing", contract.provider, None, None, detail))
        for provider in versions:
            reasons += _provider_check(facts, contract, provider)
    return reasons


def _provider_check(facts: Facts, contract: Contract, provider: Running) -> list[Reason]:
    key = (provider.service, provider.version, contract.consumer, contract.consumer_version)
    found = facts.verified.get(key)
    if found is not None:
        if found:
            return []
        detail = f"the provider verification of {provider.service} {provider.version} against {facts.service} {facts.version} failed"  # fmt: skip
        return [_reason("provider_verification_failed", provider, detail)]
    document = facts.documents.get((provider.service, provider.version))
    if document is None:
        detail = f"no API document is recorded for {provider.service} {provider.version}, so the contract cannot be checked"  # fmt: skip
        return [_reason("provider_unknown", provider, detail)]
    digest = facts.digests.get((provider.service, provider.version), "")
    return [
        _reason("provider_breaks_contract", provider, problem)
        for problem in facts.problems(contract, document, digest)
    ]


def as_provider(facts: Facts) -> list[Reason]:
    """The candidate breaks no consumer present in the environment."""
    reasons: list[Reason] = []
    teams = {(r.service, r.version): r for r in facts.running}
    for contract in facts.consumer_contracts:
        consumer = teams.get((contract.consumer, contract.consumer_version))
        if consumer is None or consumer.service in facts.ignore:
            continue
        key = (facts.service, facts.version, contract.consumer, contract.consumer_version)
        found = facts.verified.get(key)
        if found is not None:
            if not found:
                detail = f"the provider verification of {facts.service} {facts.version} against {consumer.service} {consumer.version} failed"  # fmt: skip
                reasons.append(_reason("consumer_verification_failed", consumer, detail))
            continue
        if facts.document is None:
            detail = f"no API document is recorded for {facts.service} {facts.version}, so {consumer.service}'s contract cannot be checked"  # fmt: skip
            reasons.append(_reason("no_api_document", consumer, detail))
            continue
        problems = facts.problems(contract, facts.document, facts.document_digest)
        reasons += [_reason("breaks_consumer", consumer, p) for p in problems]
        if not problems:
            reasons += _breaking_changes(facts, contract, consumer)
    return reasons


def _breaking_changes(facts: Facts, contract: Contract, consumer: Running) -> list[Reason]:
    """Breaking findings, between what runs today and the candidate, on what the consumer uses."""
    used = facts.uses(contract)
    reasons: list[Reason] = []
    for provider in facts.running:
        base = facts.documents.get((provider.service, provider.version))
        if provider.service != facts.service or base is None or facts.document is None:
            continue
        digest = facts.digests.get((provider.service, provider.version), "")
        for change in facts.breaking(base, digest):
            if _shape(change.operation) in used:
                detail = f"{change.operation}: {change.message} (rule {change.id}, from {provider.version})"  # fmt: skip
                reasons.append(_reason("breaking_change", consumer, detail))
    return reasons


def contract_problems(contract: Contract, document: dict[str, Any]) -> list[str]:
    """Each way the API ``document`` fails the contract, as a sentence naming the operation."""
    if contract.kind == "light":
        light = parse_light(contract.content)
        return [
            f"{p.operation}: field {p.field!r}: {p.message}"
            if p.field
            else f"{p.operation}: {p.message}"
            for p in check_light(light, document)
        ]
    return [str(p) for p in verify_pact(parse_pact(contract.content), document)]


def used_operations(contract: Contract) -> set[str]:
    """``GET /orders/{}`` for each operation the contract uses (path parameter names ignored)."""
    if contract.kind == "light":
        return {_shape(u.operation) for u in parse_light(contract.content).uses}
    pact = parse_pact(contract.content)
    return {_shape(f"{i.request.method} {i.request.path}") for i in pact.interactions}


def api_diff(
    base: dict[str, Any], revision: dict[str, Any], *, today: dt.date | None = None
) -> list[Change]:
    """The findings; sunset rules are judged on ``today`` (the real date when not given)."""
    return diff(parse_document(base), parse_document(revision), policy=_POLICY, today=today)


def _shape(operation: str) -> str:
    method, _, path = operation.partition(" ")
    parts = ["{}" if p.startswith("{") else p for p in path.rstrip("/").split("/")]
    return f"{method.upper()} {'/'.join(parts) or '/'}"


def _reason(kind: ReasonKind, other: Running, detail: str) -> Reason:
    return Reason(kind, other.service, other.version, other.team, detail)
