"""What a service imports: local flag evaluation, event batching, OpenFeature provider.

Imports only the standard library, httpx and the pure flag engine (``orgloop.flags`` evaluation
modules); never server code.
"""

from __future__ import annotations

from orgloop.flags.evaluation import Result
from orgloop.sdk.buffer import EventBuffer
from orgloop.sdk.client import Client

__all__ = ["Client", "EventBuffer", "Result"]
