"""Issue 12, item 2: bodies are bounded while they stream, before auth-independent work.

Driven at the ASGI level so the test sees how much of a body the server pulled: a refused
body must not be read (or read only up to its cap), whatever it declares."""

from __future__ import annotations

import json

import anyio
import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer

MIB = 1024 * 1024


class Sent:
    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""

    async def __call__(self, message) -> None:  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def problem(self) -> dict:
        assert self.headers["content-type"].startswith("application/problem+json"), self.headers
        return json.loads(self.body)


def call(app, method: str, path: str, *, headers: dict[str, str], chunks: int, chunk: bytes = b"x" * MIB,
         declare: int | None = None) -> tuple[Sent, int]:  # type: ignore[no-untyped-def]
    """Send ``chunks`` chunks (chunked unless ``declare`` gives a Content-Length); return what
    came back and how many chunks the server pulled."""
    pulled = 0
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if declare is not None:
        raw.append((b"content-length", str(declare).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": raw, "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal pulled
        if pulled >= chunks:
            await anyio.sleep(3600)  # the client would wait for an answer
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < chunks}

    sent = Sent()
    anyio.run(app, scope, receive, sent)
    return sent, pulled


@pytest.fixture
def app(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app  # started (lifespan) by the client fixture


@pytest.fixture
def visitor(client: TestClient) -> dict[str, str]:
    return bearer(client.post("/v1/visitors").json()["token"])


def test_anonymous_300_mib_event_post_is_refused_unread(app) -> None:  # type: ignore[no-untyped-def]
    sent, pulled = call(app, "POST", "/v1/events", headers={"content-type": "application/json"},
                        chunks=300, declare=300 * MIB)
    assert sent.status == 413 and pulled == 0
    assert sent.problem()["status"] == 413
    # Without a length: no token, so a 401 before any byte is read.
    sent, pulled = call(app, "POST", "/v1/events", headers={"content-type": "application/json"}, chunks=300)
    assert sent.status == 401 and pulled == 0
    assert "x-request-id" in sent.headers


def test_chunked_body_is_cut_at_its_cap(app, visitor: dict[str, str], settings) -> None:  # type: ignore[no-untyped-def]
    sent, pulled = call(app, "POST", "/v1/events", headers={**visitor, "content-type": "application/json"},
                        chunks=300)
    assert sent.status == 413, sent.body
    assert pulled <= settings.max_event_body_bytes // MIB + 1
    assert "at most" in sent.problem()["detail"]


def test_default_cap_for_json_bodies(app, visitor: dict[str, str], settings) -> None:  # type: ignore[no-untyped-def]
    sent, pulled = call(app, "PUT", "/v1/visitors/me/profile", headers={**visitor, "content-type": "application/json"},
                        chunks=50)
    assert sent.status == 413 and pulled <= settings.max_body_bytes // MIB + 1


def test_uploads_with_no_or_bad_token_are_refused_before_the_body(app, visitor: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    form = {"content-type": "multipart/form-data; boundary=xyz"}
    for headers, status in (({}, 401), (bearer("cw_unknown_token"), 401), (visitor, 403)):
        sent, pulled = call(app, "POST", "/v1/attractions/1/media", headers={**form, **headers}, chunks=500)
        assert (sent.status, pulled) == (status, 0), sent.body
        sent, pulled = call(app, "POST", "/v1/providers/castle-venue/imports",
                            headers={"content-type": "text/csv", **headers}, chunks=500)
        assert (sent.status, pulled) == (status, 0), sent.body


def test_venue_upload_over_the_cap_is_cut(app, tokens: dict[str, str], settings) -> None:  # type: ignore[no-untyped-def]
    venue = bearer(tokens["venue"])
    sent, pulled = call(app, "POST", "/v1/providers/castle-venue/imports",
                        headers={"content-type": "text/csv", **venue}, chunks=200)
    assert sent.status == 413 and pulled <= settings.max_import_bytes // MIB + 1
    cap = max(settings.media_max_image_bytes, settings.media_max_av_bytes) + MIB
    sent, _ = call(app, "POST", "/v1/attractions/1/media", headers={"content-type": "multipart/form-data; boundary=x",
                                                                    **venue}, chunks=1, declare=cap + 1)
    assert sent.status == 413


def test_anonymous_media_post_without_body_is_401(client: TestClient) -> None:
    response = client.post("/v1/attractions/1/media")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_bodies_within_caps_still_work(client: TestClient, tokens: dict[str, str]) -> None:
    mapping = {"fields": {"external_id": "ref", "name": "title", "lat": "y", "lon": "x"},
               "constants": {"categories": ["gallery"]}}
    response = client.post("/v1/providers/castle-venue/imports", params={"mapping": json.dumps(mapping)},
                           content=b"ref,title,y,x\ng1,Golden Thread Gallery,54.6025,-5.9318\n",
                           headers=bearer(tokens["venue"]))
    assert response.status_code == 200, response.text
