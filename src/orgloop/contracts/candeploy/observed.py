"""Observed consumers without a contract: the warnings (or the no) can-i-deploy adds.

Pure: takes the calls observed to the provider and the consumers that have a contract with it,
returns one warning per consumer version seen without a contract, naming the operations it
called. A consumer counts as contracted when any of its versions has a contract with the
provider: the check is about consumers nobody knows of, not about stale contract versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from orgloop.contracts.models import CanIDeploy, Reason
from orgloop.contracts.observed import ObservedCall, ObservedPolicy, ObservedWarning

_MAX_OPERATIONS_NAMED = 5


def without_contract(calls: Iterable[ObservedCall], contracted: Iterable[str]) -> list[str]:
    """Consumers seen in ``calls`` that are not in ``contracted`` (case-insensitive), sorted."""
    known = {c.lower() for c in contracted}
    return sorted({c.consumer for c in calls if c.consumer.lower() not in known})


def warnings(
    provider: str,
    calls: Iterable[ObservedCall],
    contracted: Iterable[str],
    teams: Mapping[str, str | None],
) -> list[ObservedWarning]:
    """One warning per (consumer, consumer version) seen calling ``provider`` without a contract."""
    known = {c.lower() for c in contracted}
    operations: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for call in calls:
        if call.consumer.lower() in known:
            continue
        operations[(call.consumer, call.consumer_version)][call.operation] += call.calls
    out = []
    for (consumer, version), by_operation in sorted(operations.items()):
        names = sorted(by_operation, key=lambda op: (-by_operation[op], op))
        shown = ", ".join(names[:_MAX_OPERATIONS_NAMED])
        more = len(names) - _MAX_OPERATIONS_NAMED
        shown += f" and {more} more" if more > 0 else ""
        calls_total = sum(by_operation.values())
        out.append(
            ObservedWarning(
                consumer=consumer,
                consumer_version=version,
                operations=names,
                calls=calls_total,
                team=teams.get(consumer),
                detail=(
                    f"{consumer} {version or '(version unknown)'} was seen calling {provider} "
                    f"({shown}; {calls_total:g} calls) but has no consumer contract with it"
                ),
            )
        )
    return out


def with_warnings(
    answer: CanIDeploy, warned: list[ObservedWarning], policy: ObservedPolicy
) -> CanIDeploy:
    """The answer with its observed-consumer warnings; under ``block`` they are reasons for no."""
    if not warned:
        return answer
    if policy != "block":
        return answer.model_copy(update={"warnings": warned})
    blocking = [
        Reason(
            kind=w.kind, service=w.consumer, version=w.consumer_version or None, team=w.team,
            detail=w.detail,
        )
        for w in warned
    ]  # fmt: skip
    return answer.model_copy(
        update={"warnings": warned, "deployable": False, "reasons": [*answer.reasons, *blocking]}
    )
