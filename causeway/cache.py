"""Key-value cache and counters: Redis in production, an in-process twin on a laptop.

Both implement :class:`Cache`; ``make_cache(url)`` picks one. The in-process version keeps
the same semantics (byte values, TTLs, atomic counters) so code and tests don't care which
one they got.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable


class Cache(ABC):
    """The operations the platform needs from a shared cache."""

    @abstractmethod
    def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def incr(self, key: str, ttl_seconds: float) -> int:
        """Atomically add one; a new counter expires ``ttl_seconds`` after its first increment."""

    @abstractmethod
    def ping(self) -> bool: ...

    def close(self) -> None:  # noqa: B027  (optional hook)
        pass


class MemoryCache(Cache):
    """In-process cache with TTLs, safe across threads of one process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] <= self._clock():
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._live(key)
            return None if item is None else item[0]

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        expires = None if ttl_seconds is None else self._clock() + ttl_seconds
        with self._lock:
            self._data[key] = (bytes(value), expires)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl_seconds: float) -> int:
        with self._lock:
            item = self._live(key)
            if item is None:
                self._data[key] = (b"1", self._clock() + ttl_seconds)
                return 1
            value = int(item[0]) + 1
            self._data[key] = (str(value).encode(), item[1])
            return value

    def ping(self) -> bool:
        return True


class RedisCache(Cache):
    """Redis-backed cache; keys are namespaced with ``prefix``."""

    def __init__(self, url: str, prefix: str = "causeway:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(self._k(key))
        return None if value is None else bytes(value)  # type: ignore[arg-type]

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        px = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        self._redis.set(self._k(key), value, px=px)

    def delete(self, key: str) -> None:
        self._redis.delete(self._k(key))

    def incr(self, key: str, ttl_seconds: float) -> int:
        k = self._k(key)
        pipe = self._redis.pipeline()
        pipe.incr(k)
        # NX: only a new counter gets its expiry, so a busy key cannot extend its own window.
        pipe.pexpire(k, max(1, int(ttl_seconds * 1000)), nx=True)
        value, _ = pipe.execute()
        return int(value)

    def ping(self) -> bool:
        return bool(self._redis.ping())

    def close(self) -> None:
        self._redis.close()


def make_cache(url: str | None) -> Cache:
    """Redis when ``url`` is set, otherwise the in-process cache."""
    return RedisCache(url) if url else MemoryCache()
