"""What a service imports: local flag evaluation, event batching, OpenFeature provider, tracing.

Imports only the standard library, httpx and the pure flag engine (``orgloop.flags.engine``);
never server code. OpenTelemetry is imported only when ``instrument`` is called.
"""

from __future__ import annotations

from orgloop.flags.engine import Result
from orgloop.sdk.buffer import EventBuffer
from orgloop.sdk.client import Client
from orgloop.sdk.telemetry import Telemetry, instrument

__all__ = ["Client", "EventBuffer", "Result", "Telemetry", "instrument"]
