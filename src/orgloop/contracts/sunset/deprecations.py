"""Gathering the deprecation report: for each environment, the consumer versions running there,
their contracts, and the running and newest versions of the providers they use.

The judging is ``uses.provider_uses``; contract checks and used operations are memoised by
content digest in the same cache as can-i-deploy's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from orgloop.contracts import store
from orgloop.contracts.candeploy import compat, facts
from orgloop.contracts.candeploy.memo import Memo
from orgloop.contracts.models import DeprecatedUse
from orgloop.contracts.semver import parse_semver
from orgloop.contracts.sunset import uses


def gather_uses(
    session: Session,
    *,
    provider: str | None,
    environment: str | None,
    documents: Memo,
    results: Memo,
) -> list[uses.DeprecatedUse]:
    running: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in store.current(session, environment):
        running[row.environment].add((row.service, row.version))
    contracts = store.list_contracts(session, consumer=None, provider=provider)
    wanted = {c.provider for c in contracts}
    versions = {p: store.api_versions(session, p) for p in sorted(wanted)}
    digests = [v.digest for rows in versions.values() for v in rows]
    contents = facts.load_documents(session, [*digests, *(c.digest for c in contracts)], documents)
    check, used = _memoised(results)
    found: list[uses.DeprecatedUse] = []
    for env, pairs in sorted(running.items()):
        for name, rows in versions.items():
            mine = [_contract(c, contents) for c in contracts if c.provider == name and (c.consumer, c.consumer_version) in pairs]  # fmt: skip
            if not mine or not rows:
                continue
            known = {r.version: uses.ProviderVersion(r.version, contents[r.digest], r.digest) for r in rows}  # fmt: skip
            found += uses.provider_uses(
                provider=name, environment=env, contracts=mine, check=check, uses=used,
                running=[known[v] for s, v in sorted(pairs) if s == name and v in known],
                latest=known[max(known, key=parse_semver)],
            )  # fmt: skip
    return found


def _memoised(results: Memo) -> tuple[uses.Check, uses.Uses]:
    """The contract check and the used operations, kept under the same keys as can-i-deploy's."""

    def check(contract: compat.Contract, version: uses.ProviderVersion) -> Sequence[str]:
        key = ("problems", contract.digest, version.digest)
        return results.compute(key, lambda: tuple(compat.contract_problems(contract, version.document)))  # fmt: skip

    def used(contract: compat.Contract) -> frozenset[str]:
        key = ("uses", contract.digest)
        return results.compute(key, lambda: frozenset(compat.used_operations(contract)))

    return check, used


def _contract(row: store.ContractRow, contents: dict[str, object]) -> compat.Contract:
    return compat.Contract(
        row.consumer, row.consumer_version, row.provider, row.kind, contents[row.digest],
        row.digest,
    )  # fmt: skip


def to_model(use: uses.DeprecatedUse, teams: dict[str, str | None], today: date) -> DeprecatedUse:
    """One use as the report shows it, with both teams and the days left before sunset."""
    days = use.days_left(today)
    return DeprecatedUse(
        kind=use.kind, environment=use.environment, provider=use.provider,
        provider_version=use.provider_version, provider_team=teams.get(use.provider),
        consumer=use.consumer, consumer_version=use.consumer_version,
        consumer_team=teams.get(use.consumer), operation=use.operation,
        latest_version=use.latest_version, sunset=use.sunset, days_left=days,
        past_sunset=days is not None and days < 0, detail=use.detail,
    )  # fmt: skip
