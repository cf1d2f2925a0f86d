"""Access tokens: created random, shown once, stored hashed, revoked by id."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import RECOVERY, SYSTEM, Principal, Role, hash_secret, new_secret
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Base, Database
from orgloop.kernel.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from orgloop.kernel.ids import IdFactory
from orgloop.kernel.models import Token, TokenCreate, TokenCreated

CACHE_SECONDS = 5.0
"""How long a replica trusts a token it checked; a revocation reaches every replica's cache at
once through ``TokenRevoked`` (within this time only if replicas cannot hear each other)."""


@dataclass(frozen=True, slots=True)
class TokenRevoked:
    """A token was revoked; ``None``: some may have been, while this replica was not listening."""

    token_id: str | None


class _TokenRow(Base):
    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    team: Mapped[str | None] = mapped_column(sa.String(200))
    environment: Mapped[str | None] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


def _to_model(row: _TokenRow) -> Token:
    return Token(
        id=row.id,
        name=row.name,
        role=row.role,
        team=row.team,
        environment=row.environment,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class TokenService:
    def __init__(
        self,
        *,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        ids: IdFactory,
        bus: EventBus | None = None,
    ) -> None:
        self._db = db
        self._bus = bus or EventBus()
        self._audit = audit
        self._clock = clock
        self._ids = ids
        self._cache: dict[str, tuple[Principal, float]] = {}

    def create(self, request: TokenCreate, *, actor: Principal) -> TokenCreated:
        actor.require_admin("creating tokens")
        _check(request)
        secret = new_secret(request.role)
        with self._db.transaction() as session:
            row = _TokenRow(
                id=self._ids.new("tok"),
                name=request.name or _default_name(request),
                role=request.role,
                team=request.team,
                environment=request.environment,
                token_hash=hash_secret(secret),
                prefix=secret[:12],
                created_at=self._clock.now(),
                revoked_at=None,
            )
            session.add(row)
            session.flush()
            token = _to_model(row)
            self._audit.record(
                session,
                actor=actor,
                action="token.create",
                kind="token",
                ref=row.id,
                before=None,
                after=token.model_dump(mode="json"),
            )
        return TokenCreated(token=token, secret=secret)

    def bootstrap_admin(self) -> TokenCreated | None:
        """On first start (no token at all) create an admin token; otherwise do nothing.

        Replicas starting together take turns, so only the first creates (and prints) one."""
        with self._db.exclusive("orgloop.first-start"):
            with self._db.reading() as session:
                if session.scalar(sa.select(sa.func.count()).select_from(_TokenRow)):
                    return None
            return self.create(TokenCreate(role="admin", name="first-admin"), actor=SYSTEM)

    def recover_admin(self) -> TokenCreated:
        """A new admin token for an operator locked out (run on the server's machine, with the
        database at hand; audited with the actor "recovery")."""
        return self.create(TokenCreate(role="admin", name="recovered-admin"), actor=RECOVERY)

    def list(self, *, actor: Principal, include_revoked: bool = False) -> list[Token]:
        actor.require_admin("listing tokens")
        with self._db.reading() as session:
            query = sa.select(_TokenRow).order_by(_TokenRow.created_at, _TokenRow.id)
            if not include_revoked:
                query = query.where(_TokenRow.revoked_at.is_(None))
            return [_to_model(r) for r in session.scalars(query)]

    def revoke(self, token_id: str, *, actor: Principal) -> Token:
        actor.require_admin("revoking tokens")
        with self._db.transaction() as session:
            row = session.get(_TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}", details={"id": token_id})
            before = _to_model(row).model_dump(mode="json")
            if row.revoked_at is None:
                if row.role == "admin":
                    _keep_one_admin(session, row.id)
                row.revoked_at = self._clock.now()
            after = _to_model(row)
            self._audit.record(
                session,
                actor=actor,
                action="token.revoke",
                kind="token",
                ref=row.id,
                before=before,
                after=after.model_dump(mode="json"),
            )
            self._bus.announce(session, TokenRevoked(token_id=row.id))
        self.on_token_revoked(TokenRevoked(token_id=token_id))
        return after

    def on_token_revoked(self, event: TokenRevoked) -> None:
        """Forget the revoked token (every token, when which is unknown) on this replica."""
        if event.token_id is None:
            self._cache = {}
        else:
            self._cache = {k: v for k, v in self._cache.items() if v[0].token_id != event.token_id}

    def authenticate(self, secret: str) -> Principal:
        # A short-lived cache keeps the database off the hot path (event ingest, SDK polling);
        # a revocation empties it on every replica (``on_token_revoked``).
        digest = hash_secret(secret)
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        with self._db.reading() as session:
            row = session.scalar(sa.select(_TokenRow).where(_TokenRow.token_hash == digest))
            if row is None or row.revoked_at is not None:
                raise Unauthenticated("the token is unknown or revoked")
            principal = _principal(row)
        self._cache[digest] = (principal, time.monotonic() + CACHE_SECONDS)
        return principal


def _keep_one_admin(session: Session, revoking: str) -> None:
    """Refuse revoking the last live admin token: no one could manage tokens afterwards."""
    others = session.scalar(
        sa.select(sa.func.count())
        .select_from(_TokenRow)
        .where(_TokenRow.role == "admin", _TokenRow.revoked_at.is_(None), _TokenRow.id != revoking)
    )
    if not others:
        raise Conflict(
            "this is the last admin token; create another admin token first "
            "('orgloop tokens create --role admin'), or, if locked out, run "
            "'orgloop tokens recover' on the server's machine",
            details={"id": revoking},
        )


def _principal(row: _TokenRow) -> Principal:
    return Principal(
        token_id=row.id,
        name=row.name,
        role=row.role,  # type: ignore[arg-type]
        team=row.team,
        environment=row.environment,
    )


def _check(request: TokenCreate) -> None:
    if request.role == "member" and not request.team:
        raise InvalidInput.at("team", "a member token needs the team it belongs to")
    if request.role == "sdk" and not request.environment:
        raise InvalidInput.at("environment", "an SDK key is scoped to one environment; name it")
    if request.role != "member" and request.team:
        raise InvalidInput.at("team", f"a {request.role} token does not belong to a team")


def _default_name(request: TokenCreate) -> str:
    role: Role = request.role
    scope = request.team or request.environment
    return f"{role}-{scope}" if scope else role
