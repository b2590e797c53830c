"""Providers: create and look up."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content.models import Provider, SizeClass

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


class ProviderError(ValueError):
    """An invalid provider (bad slug or size class)."""


class ProviderExists(ProviderError):
    """A provider with that slug already exists (the API answers 409, other errors 422)."""


def get_by_slug(session: Session, slug: str) -> Provider | None:
    return session.scalar(select(Provider).where(Provider.slug == slug))


def create(session: Session, *, slug: str, name: str, size_class: str = "small",
           website: str | None = None, trusted: bool = False) -> Provider:
    if not _SLUG.match(slug):
        raise ProviderError(f"slug {slug!r} must be 3-64 characters of a-z, 0-9 and '-'")
    if size_class not in SizeClass.__members__:
        raise ProviderError(f"size class {size_class!r} is not small, medium or large")
    if get_by_slug(session, slug) is not None:
        raise ProviderExists(f"provider {slug!r} already exists")
    provider = Provider(slug=slug, name=name, size_class=size_class, website=website, trusted=trusted)
    session.add(provider)
    session.flush()
    return provider


def get_or_create(session: Session, *, slug: str, name: str, size_class: str = "small",
                  website: str | None = None, trusted: bool = False) -> Provider:
    return get_by_slug(session, slug) or create(session, slug=slug, name=name, size_class=size_class,
                                                website=website, trusted=trusted)


def update(session: Session, provider: Provider, *, name: str | None = None,
           size_class: str | None = None, website: str | None = None,
           trusted: bool | None = None) -> Provider:
    """Change a provider's name, size class, website or trusted flag (None: unchanged)."""
    if size_class is not None and size_class not in SizeClass.__members__:
        raise ProviderError(f"size class {size_class!r} is not small, medium or large")
    if name is not None:
        if not name.strip():
            raise ProviderError("a provider's name cannot be empty")
        provider.name = name.strip()
    if size_class is not None:
        provider.size_class = size_class
    if website is not None:
        provider.website = website or None
    if trusted is not None:
        provider.trusted = trusted
    session.flush()
    return provider
