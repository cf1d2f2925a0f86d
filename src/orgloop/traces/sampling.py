"""How many spans one stored span stands for: its adjusted count, from the sampling probability.

Read, in order: the OpenTelemetry sampling threshold in the W3C ``tracestate`` (``ot=th:<hex>``,
as OpenTelemetry's probability samplers write it: 1-14 hex digits of a 56-bit rejection
threshold, probability = 1 - threshold / 2**56), then a ``sampling.probability`` span attribute
in (0, 1]. Without either, a span counts once.
"""

from __future__ import annotations

_MAX_THRESHOLD = 1 << 56


def threshold_probability(tracestate: str) -> float | None:
    """The sampling probability the ``ot=th:`` entry of a tracestate says, or None."""
    if "ot=" not in tracestate:
        return None
    for member in tracestate.split(","):
        key, _, value = member.strip().partition("=")
        if key != "ot":
            continue
        for field in value.split(";"):
            name, _, th = field.partition(":")
            if name == "th":
                return _probability(th)
    return None


def _probability(th: str) -> float | None:
    if not 1 <= len(th) <= 14:
        return None
    try:
        threshold = int(th.ljust(14, "0"), 16)
    except ValueError:
        return None
    probability = 1.0 - threshold / _MAX_THRESHOLD
    return probability if probability > 0 else None


def adjusted_count(tracestate: str, probability_attribute: float | None) -> float:
    """1 / sampling probability (1.0 when the span carries no sampling information)."""
    probability = threshold_probability(tracestate) if tracestate else None
    if probability is None and probability_attribute is not None and 0 < probability_attribute <= 1:
        probability = probability_attribute
    return 1.0 / probability if probability else 1.0
