"""`causeway worker` as a process: consumes the stream, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import store
from causeway.analytics.redis_stream import RedisEventStream
from tests.analytics.events_helpers import add_attractions, encoded, event


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAUSEWAY_")}
    return {**env, **extra}


@pytest.mark.redis
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_worker_writes_the_stream_and_stops_on_sigterm(database_url: str, redis_url: str,
                                                      factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        places = add_attractions(s)
    stream = RedisEventStream(redis_url)
    docs = [event("visit", attraction_id=p) for p in places]
    stream.publish([encoded(d, visitor_id=None) for d in docs])
    proc = subprocess.Popen(
        [sys.executable, "-m", "causeway.analytics.worker", "--consumer", "test-1", "--block-ms", "200"],
        env=_env(CAUSEWAY_DATABASE_URL=database_url, CAUSEWAY_REDIS_URL=redis_url),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(1200):  # wait (up to 120 s: a loaded CI box is slow to start it) for the worker
            with factory() as s:
                if store.count(s) == len(docs):
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        stream.close()
    assert proc.returncode == 0, out
    assert "signal 15" in out and f"{len(docs)} events stored" in out
    with factory() as s:
        assert store.count(s) == len(docs)


def test_embedded_worker_only_enforces_retention(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from causeway.db import make_engine
    from causeway.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    done = subprocess.run([sys.executable, "-m", "causeway.analytics.worker", "--once"],
                          env=_env(CAUSEWAY_DATABASE_URL=url, CAUSEWAY_DATA_DIR=str(tmp_path)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "enforcing retention only" in done.stderr
