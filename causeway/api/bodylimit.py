"""Request bodies bounded before they are read: a pure-ASGI middleware.

Each request is matched to a :class:`BodyRule` (method and path) giving its byte cap. A
``Content-Length`` over the cap is refused before a byte is read; otherwise the bytes are
counted as the application receives them (chunked bodies included), and the moment the
count passes the cap the application's receive fails and the client gets a 413
problem+json instead of whatever the application would have answered. Nothing past the
cap is ever buffered or spooled, so memory and /tmp stay bounded whatever is sent.

Routes that need a token say so: a request without one is a 401 before its body is read,
and for the large uploads (feeds, media) the token is also looked up first, so an unknown
token or one of the wrong role never gets to send hundreds of megabytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causeway.api.errors import problem
from causeway.auth.models import Role
from causeway.auth.service import resolve

MIB = 1024 * 1024


@dataclass(frozen=True)
class BodyRule:
    method: str
    path: re.Pattern[str]
    cap: int
    token: bool = False  # no bearer token: 401 before the body is read
    roles: frozenset[Role] | None = None  # look the token up first; unknown: 401, other roles: 403

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self.path.match(path) is not None


def rules_for(settings) -> list[BodyRule]:  # type: ignore[no-untyped-def]
    """The per-route caps of this API (the default cap applies elsewhere)."""
    uploaders = frozenset({Role.venue, Role.board, Role.admin})
    media_cap = max(settings.media_max_image_bytes, settings.media_max_av_bytes) + MIB  # + form fields
    return [
        BodyRule("POST", re.compile(r"^/v1/events/?$"), settings.max_event_body_bytes, token=True),
        BodyRule("POST", re.compile(r"^/v1/providers/[^/]+/imports/?$"), settings.max_import_bytes,
                 token=True, roles=uploaders),
        BodyRule("POST", re.compile(r"^/v1/attractions/[^/]+/media/?$"), media_cap, token=True, roles=uploaders),
    ]


class BodyTooLarge(Exception):
    """Raised into the application's receive when the body passes its cap."""


def _too_large(cap: int, path: str):  # type: ignore[no-untyped-def]
    return problem(413, "payload-too-large", f"this endpoint takes bodies of at most {cap} bytes", path)


def _bearer(scope: Scope) -> str | None:
    for k, v in scope["headers"]:
        if k == b"authorization":
            value = v.decode("latin-1").strip()
            if value[:7].lower() == "bearer " and value[7:].strip():
                return value[7:].strip()
            return None
    return None


class BodyLimit:
    """ASGI middleware enforcing :class:`BodyRule` caps (``default_cap`` elsewhere)."""

    def __init__(self, app: ASGIApp, rules: Iterable[BodyRule], default_cap: int) -> None:
        self.app = app
        self.rules = list(rules)
        self.default_cap = default_cap

    def rule(self, method: str, path: str) -> BodyRule | None:
        return next((r for r in self.rules if r.matches(method, path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        rule = self.rule(scope["method"], path)
        cap = rule.cap if rule else self.default_cap
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await problem(400, "bad-request", "Content-Length is not a number", path)(scope, receive, send)
                return
            if length > cap:
                await _too_large(cap, path)(scope, receive, send)
                return
        if rule is not None and rule.token:
            refusal = await self._authorise(scope, rule)
            if refusal is not None:
                await refusal(scope, receive, send)
                return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the application answers to a cut-off body, the answer is 413
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _too_large(cap, path)(scope, _nothing, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if not started:
                await _too_large(cap, path)(scope, _nothing, send)

    async def _authorise(self, scope: Scope, rule: BodyRule):  # type: ignore[no-untyped-def]
        path = scope["path"]
        secret = _bearer(scope)
        headers = {"WWW-Authenticate": 'Bearer realm="causeway"'}
        if secret is None:
            return problem(401, "unauthorized", "this endpoint needs a bearer token", path, headers=headers)
        if rule.roles is None:
            return None
        factory = scope["app"].state.sessionmaker

        def lookup():  # type: ignore[no-untyped-def]
            with factory() as session:
                return resolve(session, secret)

        principal = await anyio.to_thread.run_sync(lookup)
        if principal is None:
            return problem(401, "unauthorized", "the bearer token is unknown or revoked", path, headers=headers)
        if principal.role not in rule.roles:
            return problem(403, "forbidden", f"a {principal.role.value} token cannot do this; needs "
                           + " or ".join(sorted(r.value for r in rule.roles)), path)
        return None


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
