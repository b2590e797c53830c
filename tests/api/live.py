"""A real server for the browser tests (uvicorn on a free port, in a thread), a small HTTP
client for setting up and checking what the pages did, and the browser they drive
(Debian's /usr/bin/chromium through Playwright: missing, the test skips; under CI=true it fails).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from causeway.settings import Settings
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")


def need_chromium() -> None:
    if not CHROMIUM.exists():
        message = "Chromium is not installed at /usr/bin/chromium: run `make browser`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app on a free port until the block ends; yields its base URL."""
    import uvicorn

    from causeway.api.app import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):  # up to 20 s
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


class Api:
    """JSON calls; a problem answer raises HTTPError with its status (``status_of`` returns it)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, path: str, token: str | None = None, body: object = None, method: str | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = Request(self.base + path, data=data, headers=headers, method=method)
        with urlopen(req, timeout=60) as res:
            return json.loads(res.read() or b"null")

    def status_of(self, path: str, token: str | None = None, body: object = None, method: str | None = None) -> int:
        try:
            self.call(path, token, body, method)
        except HTTPError as exc:
            return exc.code
        return 200


class Shots:
    """Screenshots of the pages the tests reach, into the folder of ``--screenshots`` (else none)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def __call__(self, page, name: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(self.folder / f"{name}.png"), **kwargs)


def unlabelled_controls(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every visible form control that has no accessible name (label, aria-label or -labelledby)."""
    return page.eval_on_selector_all(
        "input:not([type=hidden]), select, textarea, button",
        """els => els.filter(e => e.getClientRects().length || e.classList.contains('sr-only'))
                    .filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label')
                                   || e.getAttribute('aria-labelledby')
                                   || (e.tagName === 'BUTTON' && e.textContent.trim())))
                    .map(e => e.outerHTML.slice(0, 120))""")
