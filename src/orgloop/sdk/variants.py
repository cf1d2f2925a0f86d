"""Which flag variations a request saw: while a request is traced, evaluations append here.

Standard library only, so ``orgloop.sdk.Client`` can record without importing OpenTelemetry. The
attribute names are the ones the traces slice reads (``orgloop.traces.semconv``): one
``feature_flag.<key>`` per flag, and ``orgloop.variants`` with one ``experiment=variant`` pair per
experiment the request was assigned to, sorted by experiment and joined by commas.
Nothing is recorded outside a request (the context variable is ``None`` there); a process that
never records pays one list read per evaluation, one that does a context-variable read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from orgloop.flags.engine import Result
from orgloop.traces.semconv import FEATURE_FLAG_PREFIX, VARIANTS

_MAX_VALUE = 128

SEEN: ContextVar[list[tuple[str, Result]] | None] = ContextVar(
    "orgloop_flag_evaluations", default=None
)
#: ``[True]`` once anything in this process records: until then evaluations skip ``SEEN``
#: (a list item read is cheaper than a context-variable read on the evaluation path).
ACTIVE = [False]


@contextmanager
def recording() -> Iterator[list[tuple[str, Result]]]:
    """Collect the evaluations made in this context (a request, a job) until the block ends."""
    seen: list[tuple[str, Result]] = []
    ACTIVE[0] = True
    token = SEEN.set(seen)
    try:
        yield seen
    finally:
        SEEN.reset(token)


def variant_of(result: Result) -> str:
    """The variation a unit got: the experiment's variation key, else the value as JSON text."""
    if result.in_experiment:
        return result.variation_key or str(result.variation_id)
    value: Any = result.value
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text[:_MAX_VALUE]


def span_attributes(seen: list[tuple[str, Result]]) -> dict[str, str]:
    """``feature_flag.<key>`` per flag (the last evaluation wins) and ``orgloop.variants``."""
    attributes: dict[str, str] = {}
    experiments: dict[str, str] = {}
    for key, result in seen:
        attributes[FEATURE_FLAG_PREFIX + key] = variant_of(result)
        if result.in_experiment and result.experiment_key is not None:
            experiments[str(result.experiment_key)] = variant_of(result)
    if experiments:
        attributes[VARIANTS] = ",".join(
            f"{key}={variant}" for key, variant in sorted(experiments.items())
        )
    return attributes
