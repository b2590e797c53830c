"""Venue invitations: the board creates a one-time code for a provider; the venue exchanges it,
once and before it expires, for a venue token. Only the SHA-256 of a code is stored."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.auth.models import ApiToken, Invitation, Role
from causeway.auth.service import digest, issue
from causeway.content.models import Provider


class InvitationError(Exception):
    """An invitation code that cannot be used: ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create(session: Session, provider: Provider, *, created_by: str, ttl_hours: float,
           label: str = "", now: dt.datetime | None = None) -> tuple[Invitation, str]:
    """A new invitation and its code (shown once, never stored in clear)."""
    code = f"cwi_{secrets.token_urlsafe(24)}"
    now = now or _now()
    inv = Invitation(code_hash=digest(code), provider_id=provider.id, label=label, created_by=created_by,
                     created_at=now, expires_at=now + dt.timedelta(hours=ttl_hours))
    session.add(inv)
    session.flush()
    return inv, code


def state(inv: Invitation, now: dt.datetime | None = None) -> str:
    if inv.used_at is not None:
        return "used"
    return "expired" if inv.expires_at <= (now or _now()) else "open"


def accept(session: Session, code: str, *, now: dt.datetime | None = None) -> tuple[Provider, str]:
    """Exchange ``code`` for a venue token of its provider; the code cannot be used again.

    The row is locked (``FOR UPDATE`` on PostgreSQL) so two simultaneous exchanges of one
    code cannot both succeed."""
    now = now or _now()
    inv = session.scalar(select(Invitation).where(Invitation.code_hash == digest(code.strip()))
                         .with_for_update())
    if inv is None:
        raise InvitationError("unknown", "this invitation code is not one the board issued")
    current = state(inv, now)
    if current == "used":
        raise InvitationError("used", "this invitation was already used; ask the board for a new one")
    if current == "expired":
        raise InvitationError("expired", f"this invitation expired at {inv.expires_at:%Y-%m-%d %H:%M} UTC; "
                                         "ask the board for a new one")
    provider = session.get(Provider, inv.provider_id)
    assert provider is not None
    secret = issue(session, role=Role.venue, provider=provider, label=f"invitation {inv.id}")
    inv.used_at = now
    inv.token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(secret)))
    session.flush()
    return provider, secret


def revoke(session: Session, inv: Invitation, now: dt.datetime | None = None) -> None:
    """An open invitation stops working at once (it reads as expired)."""
    if state(inv, now) == "open":
        inv.expires_at = now or _now()
        session.flush()
