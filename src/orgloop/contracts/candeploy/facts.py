"""Gathering what can-i-deploy judges, narrowed to the candidate, in a handful of indexed reads.

Only what matters to the candidate is read: its own contracts and the running versions of the
providers they name, the running versions of its own service, and the contracts of the consumer
versions running in the environment that name it. Documents come from a digest-keyed cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from orgloop.contracts import store
from orgloop.contracts.candeploy import compat
from orgloop.contracts.candeploy.memo import Memo


def gather(
    session: Session,
    *,
    service: str,
    version: str,
    environment: str,
    ignore: frozenset[str],
    documents: Memo,
    results: Memo,
    today: dt.date,
) -> compat.Facts:
    """The facts, with no team names (the caller names only the teams its reasons mention)."""
    conn = session.connection()
    own = store.contracts_of(conn, service, version)
    candidate = store.digest_of_version(conn, service, version)
    verified = store.verdicts_touching(conn, service, version)
    # A provider version known only from its verification results (a Pact team that publishes
    # no OpenAPI document) is judged on those results.
    if candidate is None and not own and not verified:
        return compat.Facts(service, version, None, False, (), (), ())
    theirs = store.contracts_running_on(conn, service, environment)
    current = store.running_of(conn, environment, {c.provider for c in own} | {service})
    digests = {(s, v): d for s, v, d in current if d is not None}
    if candidate is not None:
        digests[(service, version)] = candidate
    contents = load_documents(
        session, [*digests.values(), *(c.digest for c in [*own, *theirs])], documents
    )
    running = [(s, v) for s, v, _ in current]
    running += sorted({(c.consumer, c.consumer_version) for c in theirs} - set(running))
    by_pair = {pair: contents[d] for pair, d in digests.items()}
    return compat.Facts(
        service=service, version=version, document=by_pair.get((service, version)),
        known=True, running=tuple(compat.Running(s, v) for s, v in running),
        own_contracts=tuple(_contract(c, contents) for c in own),
        consumer_contracts=tuple(_contract(c, contents) for c in theirs),
        documents={k: v for k, v in by_pair.items() if k != (service, version)},
        verified=verified, ignore=ignore,
        document_digest=candidate or "", digests=digests, memo=results, today=today,
    )  # fmt: skip


def load_documents(session: Session, digests: Iterable[str], cache: Memo) -> dict[str, Any]:
    """Contents by digest: from the cache, the missing ones in one query."""
    wanted = set(digests)
    found: dict[str, Any] = {str(k): v for k, v in cache.get_many(wanted).items()}
    missing = wanted - found.keys()
    if missing:
        for digest, content in store.get_documents(session, missing).items():
            cache.put(digest, content)
            found[digest] = content
    return found


def _contract(row: store.ContractKey, documents: dict[str, Any]) -> compat.Contract:
    return compat.Contract(
        row.consumer, row.consumer_version, row.provider, row.kind, documents[row.digest],
        row.digest,
    )  # fmt: skip
