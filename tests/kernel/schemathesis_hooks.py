"""Hooks for the schemathesis run (``SCHEMATHESIS_HOOKS``): the admin token the run uses is never
the one it revokes, so the run cannot lock itself out half-way."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

PROTECTED_TOKEN_ID = os.environ.get("ORGLOOP_PROTECTED_TOKEN_ID", "")


@schemathesis.hook
def filter_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> bool:
    return not path_parameters or path_parameters.get("token_id") != PROTECTED_TOKEN_ID
