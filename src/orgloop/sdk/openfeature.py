"""An OpenFeature provider over ``orgloop.sdk.Client``: the vendor-neutral API, orgloop's engine.

Reasons map from the engine's ``source``: an experiment assignment is ``SPLIT`` (metadata carries
the experiment key and variation), a forced rule ``TARGETING_MATCH`` (the variant is the rule id),
the default value ``STATIC`` when the flag has no rules in this environment and ``DEFAULT`` when
none of its rules applied, a flag switched off or blocked by a prerequisite ``DISABLED``. An
unknown flag is ``FLAG_NOT_FOUND`` and a value of another type ``TYPE_MISMATCH``; both return the
caller's default with reason ``ERROR``. The mapping is the engine's ``openfeature_resolution``,
which the server's OFREP endpoints share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from orgloop.flags.engine import openfeature_resolution
from orgloop.sdk.client import Client

T = TypeVar("T")
ObjectValue = Sequence[FlagValueType] | Mapping[str, FlagValueType]


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_object(v: Any) -> bool:
    return isinstance(v, dict | list)


class OrgloopProvider(AbstractProvider):
    """Pass a started ``Client``; the provider evaluates locally, like the client itself."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client

    def get_metadata(self) -> Metadata:
        return Metadata(name="orgloop")

    def shutdown(self) -> None:
        self.client.close()

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: EvaluationContext | None = None,
        tracking_event_details: Any = None,
    ) -> None:
        unit = evaluation_context.targeting_key if evaluation_context else None
        if unit is None:
            return  # an event without a unit cannot be attributed to any experiment
        value = getattr(tracking_event_details, "value", None)
        attributes = getattr(tracking_event_details, "attributes", None)
        self.client.track(tracking_event_name, unit, value=value, properties=attributes)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, _is_bool, bool)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, _is_str, str)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, default_value, evaluation_context, _is_int, int)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, default_value, evaluation_context, _is_number, float)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        return self._resolve(flag_key, default_value, evaluation_context, _is_object, _same)

    def _resolve(
        self,
        key: str,
        default: T,
        context: EvaluationContext | None,
        fits: Callable[[Any], bool],
        convert: Callable[[Any], T],
    ) -> FlagResolutionDetails[T]:
        result = self.client.evaluate(key, attributes_of(context))
        resolution = openfeature_resolution(key, result, self.client.flag(key))
        if resolution.error_code is not None:
            return _error(default, ErrorCode(resolution.error_code), resolution.error_message)
        if not resolution.has_value:
            return FlagResolutionDetails(value=default, reason=Reason(resolution.reason))
        if not fits(resolution.value):
            found = type(resolution.value).__name__
            return _error(default, ErrorCode.TYPE_MISMATCH, f"flag {key!r} is a {found}")
        return FlagResolutionDetails(
            value=convert(resolution.value),
            reason=Reason(resolution.reason),
            variant=resolution.variant,
            flag_metadata=resolution.metadata,
        )


def attributes_of(context: EvaluationContext | None) -> dict[str, Any]:
    """The context's attributes, with the targeting key as ``id`` (the default hash attribute)."""
    if context is None:
        return {}
    attributes = dict(context.attributes)
    if context.targeting_key is not None:
        attributes.setdefault("id", context.targeting_key)
    return attributes


def _same(value: Any) -> Any:
    return value


def _error(default: T, code: ErrorCode, message: str | None) -> FlagResolutionDetails[T]:
    return FlagResolutionDetails(
        value=default, reason=Reason.ERROR, error_code=code, error_message=message
    )
