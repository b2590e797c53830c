"""Tokens: issue (the secret is shown once), resolve, revoke. Only SHA-256 digests are stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.auth.models import ApiToken, Role, Visitor
from causeway.content.models import Provider


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, plus the provider (venue) or visitor it is bound to."""

    token_id: int
    role: Role
    provider_id: int | None = None
    visitor_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.token_id}"

    @property
    def is_board(self) -> bool:
        """The board (or an admin): sees and curates every provider's content."""
        return self.role in (Role.board, Role.admin)

    def may_manage(self, provider_id: int | None) -> bool:
        """The one ownership rule: the board, or the venue whose provider this is."""
        return self.is_board or (self.role is Role.venue and self.provider_id is not None
                                 and self.provider_id == provider_id)


def issue(session: Session, *, role: Role, provider: Provider | None = None,
          visitor: Visitor | None = None, label: str = "") -> str:
    """Create a token and return its secret (never stored in clear)."""
    if role is Role.venue and provider is None:
        raise ValueError("a venue token must be scoped to a provider")
    if role is Role.visitor and visitor is None:
        raise ValueError("a visitor token belongs to a visitor")
    secret = f"cw_{role.value}_{secrets.token_urlsafe(32)}"
    session.add(ApiToken(token_hash=digest(secret), prefix=secret[:12], role=role.value, label=label,
                         provider_id=provider.id if provider else None,
                         visitor_id=visitor.id if visitor else None))
    session.flush()
    return secret


def resolve(session: Session, secret: str) -> Principal | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return Principal(token.id, Role(token.role), token.provider_id, token.visitor_id)


def revoke(session: Session, token_id: int) -> bool:
    token = session.get(ApiToken, token_id)
    if token is None:
        return False
    token.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    return True


def register_visitor(session: Session) -> tuple[Visitor, str]:
    """A new anonymous visitor and its bearer token."""
    visitor = Visitor(profile={})
    session.add(visitor)
    session.flush()
    return visitor, issue(session, role=Role.visitor, visitor=visitor, label="device")
