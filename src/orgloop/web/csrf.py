"""Tokens that prove a form was sent from a dashboard page, tied to the session's token.

The form token is an HMAC of a fixed label keyed by the caller's own access token: only someone
holding that token (the HttpOnly cookie) can compute it, it needs no server-side state (so any
replica accepts it), and logging in with another token changes it.  With the SameSite=Strict
cookie this is a second lock on every state-changing POST.
"""

from __future__ import annotations

import hashlib
import hmac

from markupsafe import Markup

FIELD = "csrf"
_LABEL = b"orgloop dashboard form"


def token_for(session_token: str) -> Markup:
    """The form token of a session; Markup so the page shows it and its JSON twin leaves it out."""
    digest = hmac.new(session_token.encode(), _LABEL, hashlib.sha256).hexdigest()
    return Markup(digest)  # hexadecimal: nothing to escape


def valid(session_token: str | None, sent: str | None) -> bool:
    if not session_token or not sent:
        return False
    return hmac.compare_digest(str(token_for(session_token)), sent)
