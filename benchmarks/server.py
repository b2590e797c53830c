"""A real ``causeway serve`` process for harnesses that measure over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def causeway_server(env: Mapping[str, str | None], *, startup_timeout: float = 60.0) -> Iterator[int]:
    """Serve on a spare loopback port, one uvicorn worker, with ``env`` over this process's
    environment (a None value unsets); yield the port once ``/healthz`` answers."""
    port = spare_port()
    full_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    server = subprocess.Popen([sys.executable, "-m", "causeway.cli", "serve", "--port", str(port),
                               "--log-level", "warning"], env=full_env)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
