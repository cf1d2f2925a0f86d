"""Deprecation and sunset, as pure logic: which consumers still use what their provider wants
to retire, and by when they must move.

Two kinds of use are reported for one provider in one environment:

* ``deprecated_operation``: a consumer's contract uses an operation that the provider's running
  version marks ``deprecated: true``; its ``x-sunset`` date (or the document's) is the deadline.
* ``old_major_version``: a consumer's contract fails against the provider's newest recorded
  version but holds against an older major version that still runs or is supported there: the
  consumer still needs the old major. Its deadline is the old version's ``info.x-sunset``, else
  the earliest sunset of the deprecated operations the consumer uses in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orgloop.contracts.candeploy.compat import Contract, contract_problems, used_operations
from orgloop.contracts.semver import is_major_bump, parse_semver

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UseKind = Literal["deprecated_operation", "old_major_version"]


@dataclass(frozen=True, slots=True)
class ProviderVersion:
    """One recorded version of the provider with its API document (``digest`` keys caches)."""

    version: str
    document: dict[str, Any]
    digest: str = ""


@dataclass(frozen=True, slots=True)
class DeprecatedUse:
    kind: UseKind
    environment: str
    provider: str
    provider_version: str
    consumer: str
    consumer_version: str
    operation: str | None
    latest_version: str | None
    sunset: dt.date | None
    detail: str

    def days_left(self, today: dt.date) -> int | None:
        return None if self.sunset is None else (self.sunset - today).days


Check = Callable[[Contract, ProviderVersion], Sequence[str]]
Uses = Callable[[Contract], frozenset[str]]


def _check(contract: Contract, provider: ProviderVersion) -> Sequence[str]:
    return contract_problems(contract, provider.document)


def _uses(contract: Contract) -> frozenset[str]:
    return frozenset(used_operations(contract))


def provider_uses(
    *,
    provider: str,
    environment: str,
    running: Sequence[ProviderVersion],
    latest: ProviderVersion | None,
    contracts: Sequence[Contract],
    check: Check = _check,
    uses: Uses = _uses,
) -> list[DeprecatedUse]:
    """Every deprecated use of ``provider`` by the consumer versions whose ``contracts`` are
    given (those running in ``environment``). ``running`` are the provider's versions there,
    newest first wins when two deprecate the same operation; ``check`` and ``uses`` may be
    memoised versions of the contract check and of the operations a contract uses."""
    found: list[DeprecatedUse] = []
    ordered = sorted(running, key=lambda p: parse_semver(p.version), reverse=True)
    for contract in contracts:
        used = uses(contract)
        seen: set[str] = set()
        for version in ordered or ([latest] if latest else []):
            for label, sunset in deprecated_operations(version.document):
                if label in seen or not any(matches(label, u) for u in used):
                    continue
                seen.add(label)
                found.append(_deprecated(provider, environment, version, contract, label, sunset, latest))  # fmt: skip
        old = _old_major(contract, ordered, latest, check)
        if old is not None and latest is not None:
            found.append(_old_major_use(provider, environment, old, latest, contract, check, used))
    return found


def deprecated_operations(document: dict[str, Any]) -> list[tuple[str, dt.date | None]]:
    """(``GET /orders/{id}``, sunset) of each deprecated operation, in document order."""
    found = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            spec = item.get(method)
            if isinstance(spec, dict) and spec.get("deprecated") is True:
                found.append((f"{method.upper()} {path}", parse_date(spec.get("x-sunset"))))
    return found


def matches(label: str, used: str) -> bool:
    """``GET /orders/{id}`` matches a used ``GET /orders/{}`` (light) or ``GET /orders/42``
    (a Pact request): a template segment stands for any one segment."""
    method, _, template = label.partition(" ")
    used_method, _, path = used.partition(" ")
    if method.upper() != used_method.upper():
        return False
    want, have = template.rstrip("/").split("/"), path.rstrip("/").split("/")
    return len(want) == len(have) and all(
        w == h or (w.startswith("{") and w.endswith("}")) for w, h in zip(want, have, strict=True)
    )


def parse_date(value: Any) -> dt.date | None:
    """``x-sunset`` as a date: ``2026-06-30``, a date object, or None when absent or unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _deprecated(
    provider: str, environment: str, version: ProviderVersion, contract: Contract, label: str,
    sunset: dt.date | None, latest: ProviderVersion | None,
) -> DeprecatedUse:  # fmt: skip
    sunset = sunset or parse_date(_info(version.document).get("x-sunset"))
    when = f"sunset {sunset.isoformat()}" if sunset else "no sunset date announced"
    detail = f"{contract.consumer} {contract.consumer_version} uses {label}, deprecated in {provider} {version.version} ({when})"  # fmt: skip
    return DeprecatedUse(
        "deprecated_operation", environment, provider, version.version, contract.consumer,
        contract.consumer_version, label, latest.version if latest else None, sunset, detail,
    )  # fmt: skip


def _old_major(
    contract: Contract, running: Sequence[ProviderVersion], latest: ProviderVersion | None,
    check: Check,
) -> ProviderVersion | None:  # fmt: skip
    """The newest running version of an older major that keeps the contract, when the newest
    recorded version does not."""
    if latest is None:
        return None
    newest = parse_semver(latest.version)
    older = [p for p in running if is_major_bump(parse_semver(p.version), newest)]
    if not older or not check(contract, latest):
        return None
    return next((p for p in older if not check(contract, p)), None)


def _old_major_use(
    provider: str, environment: str, old: ProviderVersion, latest: ProviderVersion,
    contract: Contract, check: Check, used: frozenset[str],
) -> DeprecatedUse:  # fmt: skip
    sunsets = [
        s for label, s in deprecated_operations(old.document)
        if s is not None and any(matches(label, u) for u in used)
    ]  # fmt: skip
    sunset = parse_date(_info(old.document).get("x-sunset")) or min(sunsets, default=None)
    problems = list(check(contract, latest))
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    detail = f"{contract.consumer} {contract.consumer_version} still needs {provider} {old.version}: against {latest.version}, {problems[0]}{more}"  # fmt: skip
    return DeprecatedUse(
        "old_major_version", environment, provider, old.version, contract.consumer,
        contract.consumer_version, None, latest.version, sunset, detail,
    )  # fmt: skip


def _info(document: dict[str, Any]) -> dict[str, Any]:
    info = document.get("info")
    return info if isinstance(info, dict) else {}
