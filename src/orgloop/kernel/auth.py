"""Who is calling, and what they may do: roles, principals and token hashing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from orgloop.kernel.errors import Forbidden

Role = Literal["admin", "member", "viewer", "sdk"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer", "sdk")

TOKEN_PREFIX = {"admin": "olp_adm_", "member": "olp_mbr_", "viewer": "olp_vwr_", "sdk": "olp_sdk_"}


def new_secret(role: Role) -> str:
    """A random token, 256 bits of entropy, prefixed so a leaked one is recognisable."""
    return TOKEN_PREFIX[role] + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Tokens are high-entropy random strings, so a fast hash is safe to store."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    token_id: str
    name: str
    role: Role
    team: str | None = None
    environment: str | None = None
    cause: str | None = None
    """Work orgloop does on its own: what caused it (the audit log names it instead)."""

    @property
    def label(self) -> str:
        """How the audit log names the caller."""
        if self.cause is not None:
            return self.cause
        return f"{self.name} ({self.role}{f', {self.team}' if self.team else ''})"

    def require_admin(self, action: str) -> None:
        if self.role != "admin":
            raise Forbidden(f"{action} needs an admin token; this token's role is {self.role}")

    def require_write(self, *, owner: str | None, what: str) -> None:
        """Admins write anything; a team member writes only what its team owns."""
        if self.role == "admin":
            return
        if self.role == "member" and owner is not None and _same_team(self.team, owner):
            return
        if self.role in ("viewer", "sdk"):
            raise Forbidden(f"cannot change {what}: a {self.role} token is read-only")
        owned_by = f"it is owned by team {owner!r}" if owner else "it has no owning team"
        raise Forbidden(
            f"cannot change {what}: {owned_by} and this token belongs to team {self.team!r}",
            details={"owner": owner, "team": self.team},
        )

    def require_read(self) -> None:
        if self.role == "sdk":
            raise Forbidden("an SDK key reads only its environment's ruleset and writes events")


def _same_team(team: str | None, owner: str) -> bool:
    if team is None:
        return False
    return _short(team) == _short(owner)


def _short(ref: str) -> str:
    """``group:default/checkout`` and ``checkout`` name the same team."""
    return ref.split(":", 1)[-1].removeprefix("default/").lower()


SYSTEM = Principal(token_id="system", name="system", role="admin")
"""The principal of work orgloop does on its own (first start, scheduled jobs)."""


def on_behalf_of(team: str, *, cause: str) -> Principal:
    """Work orgloop does on its own for ``team``, with that team's rights only (a member's):
    e.g. an experiment's alert killing the experiment's flag; ``cause`` is what the audit says."""
    return Principal(token_id="system", name="system", role="member", team=team, cause=cause)


RECOVERY = Principal(token_id="recovery", name="recovery", role="admin")
"""The principal of ``orgloop tokens recover``, run by an operator on the server's machine."""
