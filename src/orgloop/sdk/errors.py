"""The SDK's one error type. It never reaches the host application: the client logs it and
keeps serving the last good ruleset (see ``client``)."""

from __future__ import annotations


class SdkError(Exception):
    """Something the SDK could not do (fetch the ruleset, read the stream); the client logs it and
    keeps serving."""
