"""The in-process cache and the Redis cache behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from causeway.cache import Cache, MemoryCache, RedisCache, make_cache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
    else:
        c = RedisCache(request.getfixturevalue("redis_url"), prefix="causeway-test:")
        yield c
        c.close()


def test_get_set_delete(cache: Cache) -> None:
    assert cache.get("k") is None
    cache.set("k", b"\x00bytes")
    assert cache.get("k") == b"\x00bytes"
    cache.delete("k")
    assert cache.get("k") is None
    assert cache.ping()


def test_incr_counts_atomically_and_expires(cache: Cache) -> None:
    assert [cache.incr("c", 0.3) for _ in range(3)] == [1, 2, 3]
    import time

    time.sleep(0.45)
    assert cache.incr("c", 0.3) == 1  # the window ended, a new counter starts


def test_ttl_expiry(cache: Cache) -> None:
    cache.set("short", b"x", ttl_seconds=0.2)
    cache.set("long", b"y", ttl_seconds=60)
    import time

    time.sleep(0.35)
    assert cache.get("short") is None
    assert cache.get("long") == b"y"


def test_memory_cache_expiry_follows_its_clock() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.set("a", b"1", ttl_seconds=10)
    clock.now += 9.9
    assert cache.get("a") == b"1"
    clock.now += 0.2
    assert cache.get("a") is None


def test_make_cache_picks_by_url(redis_url: str) -> None:
    assert isinstance(make_cache(None), MemoryCache)
    redis_cache = make_cache(redis_url)
    assert isinstance(redis_cache, RedisCache) and redis_cache.ping()
    redis_cache.close()
