"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, an API client.

PostgreSQL and Redis are the servers at CAUSEWAY_TEST_POSTGRES_URL / CAUSEWAY_TEST_REDIS_URL
(defaults: 127.0.0.1:5432 database ``test``, 127.0.0.1:6379 database 15). On a laptop without
them those tests skip and say what to start; under CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import causeway.all_models  # noqa: F401  (every table, for cleaning)
from causeway.db import Base, make_engine, make_sessionmaker
from causeway.migrate import upgrade

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("CAUSEWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CAUSEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def unavailable(what: str, how: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc.__class__.__name__}: {exc}); start it with: {how}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def pg_database_url(_engines: dict[str, Engine]) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"causeway_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001  (any connection failure means "not running")
        unavailable("PostgreSQL", START_PG, exc)
    base = PG_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    yield url
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _clean(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, _engines: dict[str, Engine],
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database on each backend (migrated once, emptied per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'causeway-test.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
        upgrade(engine)
    _clean(engine)
    yield url


@pytest.fixture
def engine(database_url: str, _engines: dict[str, Engine]) -> Engine:
    return _engines[database_url]


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.flushdb()
        client.close()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", START_REDIS, exc)
    return REDIS_URL


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings for an app on this backend: SQLite with the in-process cache, PostgreSQL with Redis."""
    from causeway.settings import Settings

    redis = request.getfixturevalue("redis_url") if database_url.startswith("postgresql") else None
    return Settings(database_url=database_url, redis_url=redis, data_dir=tmp_path,
                    rate_limit_per_minute=10_000)


@pytest.fixture
def client(settings):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from causeway.api.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def tokens(factory: sessionmaker[Session]) -> dict[str, str]:
    """Bearer headers for a board member and for the venue of provider ``castle-venue``."""
    from causeway.auth.models import Role
    from causeway.auth.service import issue
    from causeway.content import providers

    with factory.begin() as s:
        venue = providers.create(s, slug="castle-venue", name="Castle Venue", size_class="small")
        other = providers.create(s, slug="other-venue", name="Other Venue", size_class="small")
        return {
            "board": issue(s, role=Role.board, label="test"),
            "venue": issue(s, role=Role.venue, provider=venue),
            "other": issue(s, role=Role.venue, provider=other),
        }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", metavar="DIR", default=None,
                     help="the browser tests save screenshots of the screens they reach into DIR "
                          "(docs/screenshots is what the README shows)")


@pytest.fixture
def shots(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``shots(page, name)``: a screenshot into --screenshots DIR, or nothing without the option."""
    from tests.api.live import Shots

    folder = request.config.getoption("--screenshots")
    return Shots(Path(folder) if folder else None)
