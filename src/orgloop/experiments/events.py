"""Bus events: facts the experiments slice publishes (subscribed to in the composition root).

Not to be confused with tracked events, the exposures and track events SDKs send, which the
``ingest`` room receives and stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ExperimentAlert:
    """An analysis found a guardrail breach or a sample ratio mismatch.

    The composition root subscribes to this to kill the experiment's flag in each of
    ``auto_kill_environments`` (the experiment's own setting; empty means alert only), on the
    owning team's behalf, naming in the audit the alert (``alert_id``), the analysis
    (``analysis_at``, when it was computed) and who recorded it (``requested_by``).
    """

    experiment: str
    flag_key: str
    owner: str
    kind: Literal["srm", "guardrail"]
    message: str
    auto_kill_environments: tuple[str, ...] = ()
    alert_id: int | None = None
    analysis_at: str = ""
    requested_by: str = ""


@dataclass(frozen=True)
class ExperimentDecided:
    experiment: str
    flag_key: str
    owner: str
    decision: Literal["ship", "kill", "iterate"]
