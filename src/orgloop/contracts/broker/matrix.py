"""The Pact Broker's matrix (what ``pact-broker can-i-deploy`` asks), pure: reading its query
string, and answering orgloop's own can-i-deploy verdict in the matrix's shape.

orgloop decides (``ContractService.can_i_deploy``, which also knows OpenAPI diffs); the matrix
only shows it: ``summary.deployable`` is orgloop's verdict (``null`` when unknown), the
``reason`` and the ``notices`` are orgloop's reasons (each naming the service version and team
it is about), and the ``matrix`` rows are the pacts
between the candidate and what runs in the environment, with their verification results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from orgloop.contracts.broker.hal import Hal
from orgloop.contracts.models import CanIDeploy, Reason
from orgloop.kernel.errors import InvalidInput

_KEY = re.compile(r"^(q|ignore)\[\]\[(\w+)\]$")


@dataclass
class Selector:
    pacticipant: str
    version: str | None = None
    latest: bool = False
    tag: str | None = None
    branch: str | None = None


@dataclass
class Query:
    selectors: list[Selector] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    environment: str | None = None
    to_tag: str | None = None


@dataclass
class Row:
    consumer: str
    consumer_version: str | None
    provider: str
    provider_version: str | None
    success: bool | None = None
    verified_at: datetime | None = None
    url: str | None = None


def parse(items: Sequence[tuple[str, str]]) -> Query:
    """The matrix query string: ``q[][pacticipant]`` starts a selector and the ``q[][...]``
    keys after it complete it; ``ignore[][pacticipant]``, ``environment`` and ``tag``."""
    query = Query()
    for key, value in items:
        found = _KEY.match(key)
        if found and found[1] == "ignore":
            if found[2] == "pacticipant":
                query.ignore.append(value)
            continue
        if found:
            _selector_field(query, found[2], value)
        elif key == "environment":
            query.environment = value
        elif key == "tag":
            query.to_tag = value
    if not query.selectors:
        raise InvalidInput.at("q[][pacticipant]", "name the pacticipant to ask about")
    return query


def _selector_field(query: Query, name: str, value: str) -> None:
    if name == "pacticipant":
        query.selectors.append(Selector(pacticipant=value))
        return
    if not query.selectors:
        raise InvalidInput.at(f"q[][{name}]", "q[][pacticipant] must come first")
    selector = query.selectors[-1]
    if name == "version":
        selector.version = value
    elif name == "latest":
        selector.latest = value.lower() == "true"
    elif name == "tag":
        selector.tag = value
    elif name == "branch":
        selector.branch = value
    elif name == "mainBranch":
        raise InvalidInput.at("q[][mainBranch]", "name the branch (--branch) or the version")


def answer(verdict: CanIDeploy, rows: Sequence[Row]) -> Hal:
    """orgloop's verdict in the matrix's shape: summary, notices and rows."""
    details = [_reason(r) for r in verdict.reasons]
    if verdict.deployable:
        reason = (
            "All required verification results are published and successful"
            if rows and all(r.success for r in rows)
            else f"orgloop's contract checks pass against what runs in {verdict.environment}"
        )
        notices = [{"type": "success", "text": f"{_subject(verdict)}: {reason}"}]
    else:
        kind = "error" if verdict.deployable is False else "warning"
        reason = "; ".join(details) or "orgloop cannot tell yet"
        notices = [{"type": kind, "text": d} for d in details]
        verdict_text = "is not deployable" if kind == "error" else "cannot be judged yet"
        notices.insert(0, {"type": kind, "text": f"{_subject(verdict)} {verdict_text}"})
    summary = {
        "deployable": verdict.deployable,
        "reason": reason,
        "success": sum(r.success is True for r in rows),
        "failed": sum(r.success is False for r in rows),
        "unknown": sum(r.success is None for r in rows),
    }
    return {"summary": summary, "notices": notices, "matrix": [_row(r) for r in rows]}


def _reason(reason: Reason) -> str:
    """A reason naming the service version (and its team) it is about."""
    if reason.version is None:
        return reason.detail
    team = f" (team {reason.team})" if reason.team else ""
    return f"{reason.service} {reason.version}{team}: {reason.detail}"


def _subject(verdict: CanIDeploy) -> str:
    return f"{verdict.service} {verdict.version} to {verdict.environment}"


def _row(row: Row) -> Hal:
    result: Hal | None = None
    if row.success is not None:
        result = {
            "success": row.success,
            "verifiedAt": row.verified_at.isoformat() if row.verified_at else None,
            "_links": {"self": {"href": row.url}},
        }
    return {
        "consumer": _side(row.consumer, row.consumer_version),
        "provider": _side(row.provider, row.provider_version),
        "pact": {"_links": {"self": {"href": row.url}}} if row.url else None,
        "verificationResult": result,
    }


def _side(name: str, version: str | None) -> Hal:
    return {"name": name, "version": {"number": version} if version else None}
