"""The errors the experiments slice raises; all are kernel error types with a field path.

Exception hierarchy::

    OrgloopError
    ├── InvalidInput (422)
    │   ├── BatchRejected     every event of a batch failed validation (details list each one)
    │   └── MetricInvalid     a metric definition or its YAML file is wrong
    └── PayloadTooLarge (413)
        └── BatchTooLarge     more events or bytes than one batch may hold
"""

from __future__ import annotations

from typing import Any

from orgloop.kernel.errors import InvalidInput, PayloadTooLarge


class BatchRejected(InvalidInput):
    """No event of the batch was accepted; ``details`` has the ingest result and one error each."""

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> BatchRejected:
        rejected = result["rejected"]
        first = rejected[0]
        more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
        errors = [{"path": r["path"], "message": r["reason"]} for r in rejected]
        return cls(
            f"no event accepted; {first['path']}: {first['reason']}{more}",
            details={**result, "errors": errors},
        )


class BatchTooLarge(PayloadTooLarge):
    """A batch over the event-count or byte limit; the client should split it."""


class MetricInvalid(InvalidInput):
    """A metric definition that cannot be analysed; ``details["errors"]`` names each field."""
