"""Dependencies: the request's database session, cache, caller and rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from causeway.api.errors import Forbidden, RateLimited, Unauthorized
from causeway.auth.models import Role, Visitor
from causeway.auth.service import Principal, resolve
from causeway.cache import Cache
from causeway.db import transaction
from causeway.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on any error.

    Function-scoped (below): the commit happens when the endpoint returns, before the
    response is sent, so what a response reports (a new visitor's token) is already
    visible to the next request. FastAPI's default would commit after sending."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session


def get_cache(request: Request) -> Cache:
    return request.app.state.cache


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]
CacheDep = Annotated[Cache, Depends(get_cache)]
_bearer = HTTPBearer(auto_error=False, description="A token from POST /v1/visitors or `causeway token create`")


def get_principal(db: DbSession, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal | None:
    if credentials is None:
        return None
    principal = resolve(db, credentials.credentials)
    if principal is None:
        raise Unauthorized("the bearer token is unknown or revoked")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_principal)]


def rate_limit(request: Request, principal: OptionalPrincipal, cache: CacheDep,
               settings: SettingsDep) -> None:
    """A fixed one-minute window per token (or per client address for anonymous calls)."""
    who = f"t{principal.token_id}" if principal else f"ip{request.client.host if request.client else '-'}"
    window = int(time.time() // 60)
    count = cache.incr(f"rl:{who}:{window}", 61)
    if count > settings.rate_limit_per_minute:
        raise RateLimited(f"more than {settings.rate_limit_per_minute} requests a minute",
                          headers={"Retry-After": str(60 - int(time.time()) % 60)})


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency admitting only callers with one of ``roles``."""

    def check(principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise Unauthorized("this endpoint needs a bearer token")
        if principal.role not in roles:
            raise Forbidden(f"a {principal.role.value} token cannot do this; needs "
                            + " or ".join(r.value for r in roles))
        return principal

    return check


BoardPrincipal = Annotated[Principal, Depends(require(Role.board, Role.admin))]
EditorPrincipal = Annotated[Principal, Depends(require(Role.venue, Role.board, Role.admin))]
VenuePrincipal = Annotated[Principal, Depends(require(Role.venue))]
VisitorPrincipal = Annotated[Principal, Depends(require(Role.visitor))]


def current_visitor(db: DbSession, principal: VisitorPrincipal) -> Visitor:
    """The calling visitor's row, for every visitor endpoint.

    A visitor token whose visitor is gone (erased between the token check and now) is a 401,
    as a revoked token is: the credentials no longer identify anyone, and the app registers
    again on a 401."""
    visitor = db.get(Visitor, principal.visitor_id) if principal.visitor_id is not None else None
    if visitor is None:
        raise Unauthorized("this visitor no longer exists")
    return visitor


CurrentVisitor = Annotated[Visitor, Depends(current_visitor)]
