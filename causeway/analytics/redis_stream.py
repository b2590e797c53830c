"""The event stream on Redis Streams, shared by every API process and ``causeway worker``.

Keys (``key`` is ``settings.event_stream``): ``key`` the stream, ``key:dead`` the dead
letters, ``key:epoch`` the stream's epoch, ``key:erased`` erasure tombstones (a sorted set
scored by erasure time), ``key:seen:<bucket>`` published ids -> their entry (one hash per
``seen_ttl_seconds`` time bucket, expiring two buckets later).

Publishing is one Lua script, so remembering an id (with the entry it went into) and
queuing its event happen together or not at all: an id the stream answers "duplicate" for
is always queued or written, and the answer says in which entry.
The script also reads the group's state for the receipt in the same round trip.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from causeway.analytics.stream import (
    DeadLetter,
    Entry,
    EventStream,
    Published,
    Receipt,
    StreamUnavailable,
    parse_id,
    stored_through,
)

# KEYS: stream, epoch, seen ids of this time bucket, of the previous one.
# ARGV: group, new epoch, bucket lifetime (s), then the events as one blob of
# "<id>\t<payload>\n" lines (compact JSON never holds a raw tab or newline): one argument
# to pack instead of a thousand, and one HMGET/HSET per bucket instead of a command per id.
# Returns {epoch, entry or "", last-delivered id or "", oldest pending id or "",
# per event "" when new or the entry it was queued in before, comma-separated}.
_PUBLISH = r"""
local epoch = redis.call('SET', KEYS[2], ARGV[2], 'NX', 'GET')
if not epoch then epoch = ARGV[2] end
local ids, payloads = {}, {}
for id, payload in string.gmatch(ARGV[4], '([^\t\n]+)\t([^\n]*)\n') do
  ids[#ids + 1] = id
  payloads[#payloads + 1] = payload
end
local known, fields, seen = {}, {}, {}
local entry = ''
if #ids > 0 then
  local cur = redis.call('HMGET', KEYS[3], unpack(ids))
  local prev = redis.call('HMGET', KEYS[4], unpack(ids))
  for i = 1, #ids do
    local before = cur[i] or prev[i]
    if before then
      known[i] = before
    else
      known[i] = ''
      fields[#fields + 1] = ids[i]
      fields[#fields + 1] = payloads[i]
    end
  end
  if #fields > 0 then
    entry = redis.call('XADD', KEYS[1], '*', unpack(fields))
    for i = 1, #fields, 2 do
      seen[#seen + 1] = fields[i]
      seen[#seen + 1] = entry
    end
    redis.call('HSET', KEYS[3], unpack(seen))
    redis.call('EXPIRE', KEYS[3], ARGV[3], 'NX')
  end
end
local last, oldest = '', ''
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) == 'table' and not groups.err then
  for _, g in ipairs(groups) do
    local name, delivered = nil, nil
    for j = 1, #g, 2 do
      if g[j] == 'name' then name = g[j + 1] end
      if g[j] == 'last-delivered-id' then delivered = g[j + 1] end
    end
    if name == ARGV[1] then
      last = delivered
      local p = redis.call('XPENDING', KEYS[1], ARGV[1])
      if p[2] then oldest = p[2] end
    end
  end
end
return {epoch, entry, last, oldest, table.concat(known, ',')}
"""
CHUNK = 1000  # events per script call: Lua's unpack() has a stack limit


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisEventStream(EventStream):
    """Redis Streams with one consumer group; see the module docstring for the keys."""

    inline = False

    def __init__(self, url: str, *, key: str = "causeway:events", group: str = "writers",
                 seen_ttl_seconds: int = 3600, socket_timeout: float = 10.0) -> None:
        # One quick retry covers a pooled connection that died with a Redis restart; more
        # would only hold the API's answer (a 503 the client retries) while Redis is down.
        self._redis = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=2.0,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1))
        self.key, self.group = key, group
        self._dead, self._epoch = f"{key}:dead", f"{key}:epoch"
        self._erased, self._seen = f"{key}:erased", f"{key}:seen:"
        self._ttl = int(seen_ttl_seconds)
        self._publish = self._redis.register_script(_PUBLISH)
        self._claim_cursor: dict[str, str] = {}

    def _call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StreamUnavailable(f"Redis is not reachable: {exc}") from exc

    # -- publishing ---------------------------------------------------------------------
    def _run(self, events: Sequence[tuple[str, bytes]]) -> Published:
        # Ids are remembered per time bucket of ``ttl`` seconds, for this and the next bucket:
        # between one and two ``ttl`` in all.
        bucket = int(time.time() // self._ttl)
        keys = [self.key, self._epoch, f"{self._seen}{bucket}", f"{self._seen}{bucket - 1}"]
        blob = b"".join(b"%s\t%s\n" % (event_id.encode(), payload) for event_id, payload in events)
        epoch, entry, last, oldest, known = self._call(
            self._publish, keys=keys, args=[self.group, secrets.token_hex(8), 2 * self._ttl, blob])
        receipt = Receipt(_str(epoch), stored_through(_str(last) or "0-0", _str(oldest) or None))
        known_list = [k or None for k in _str(known).split(",")] if events else []
        return Published(known_list, _str(entry) or None, receipt)

    def publish(self, events: Sequence[tuple[str, bytes]]) -> Published:
        known: list[str | None] = []
        entry: str | None = None
        published = None
        for start in range(0, max(len(events), 1), CHUNK):
            published = self._run(events[start:start + CHUNK])
            known += published.known
            entry = published.entry or entry
        assert published is not None
        return Published(known, entry, published.receipt)

    def receipt(self) -> Receipt:
        return self._run([]).receipt

    # -- consuming ----------------------------------------------------------------------
    def ensure_group(self) -> None:
        """Create the consumer group from the stream's start (entries already queued count)."""
        try:
            self._call(self._redis.xgroup_create, self.key, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _with_group(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return self._call(fn, *args, **kwargs)
        except redis.ResponseError as exc:
            # NOGROUP: first start, or Redis lost its memory; UNBLOCKED: the stream was deleted
            # while we waited on it. Either way: recreate the group and read again.
            if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                raise
        self.ensure_group()
        return self._call(fn, *args, **kwargs)

    @staticmethod
    def _entries(rows, deliveries: dict[str, int] | None = None) -> list[Entry]:  # type: ignore[no-untyped-def]
        out = []
        for entry_id, fields in rows:
            eid = _str(entry_id)
            if fields is None:  # deleted while pending
                continue
            events = [(_str(k), bytes(v)) for k, v in fields.items()]
            out.append(Entry(eid, events, (deliveries or {}).get(eid, 1)))
        return out

    def read(self, consumer: str, count: int, block_ms: int = 0) -> list[Entry]:
        reply = self._with_group(self._redis.xreadgroup, self.group, consumer, {self.key: ">"},
                                 count=count, block=block_ms or None)
        if not reply:
            return []
        return self._entries(reply[0][1])

    def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        start = self._claim_cursor.get(consumer, "0-0")
        reply = self._with_group(self._redis.xautoclaim, self.key, self.group, consumer,
                                 min_idle_ms, start_id=start, count=count)
        cursor, rows = _str(reply[0]), reply[1]
        deleted = [_str(d) for d in reply[2]] if len(reply) > 2 else []
        self._claim_cursor[consumer] = cursor
        if deleted:  # entries trimmed while pending have nothing left to write
            self._call(self._redis.xack, self.key, self.group, *deleted)
        if not rows:
            return []
        ids = [_str(r[0]) for r in rows]
        info = self._call(self._redis.xpending_range, self.key, self.group, min=ids[0], max=ids[-1],
                          count=len(ids) * 2 + 10, consumername=consumer)
        deliveries = {_str(p["message_id"]): int(p["times_delivered"]) for p in info}
        return self._entries(rows, deliveries)

    def ack(self, entry_ids: Sequence[str]) -> None:
        if not entry_ids:
            return
        pipe = self._redis.pipeline(transaction=True)
        pipe.xack(self.key, self.group, *entry_ids)
        pipe.xdel(self.key, *entry_ids)
        self._call(pipe.execute)

    def dead_letter(self, entry: Entry, failures: Sequence[tuple[str, bytes, str]]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for event_id, payload, error in failures:
            pipe.xadd(self._dead, {"entry": entry.id, "event_id": event_id, "payload": payload,
                                   "error": error[:2000], "attempts": entry.deliveries})
        pipe.xack(self.key, self.group, entry.id)
        pipe.xdel(self.key, entry.id)
        self._call(pipe.execute)

    def dead_letters(self, count: int = 100) -> list[DeadLetter]:
        rows = self._call(self._redis.xrange, self._dead, count=count)
        return [DeadLetter(_str(i), _str(f[b"entry"]), _str(f[b"event_id"]), bytes(f[b"payload"]),
                           _str(f[b"error"]), int(f[b"attempts"])) for i, f in rows]

    def pending(self) -> int:
        try:
            summary = self._call(self._redis.xpending, self.key, self.group)
        except redis.ResponseError:  # no group yet
            return 0
        return int(summary["pending"])

    def backlog(self) -> int:
        return int(self._call(self._redis.xlen, self.key))

    # -- erasure and retention ----------------------------------------------------------
    def forget_visitor(self, visitor_id: int, at: float) -> None:
        self._call(self._redis.zadd, self._erased, {str(visitor_id): at}, gt=True)

    def erased(self, visitor_ids: Iterable[int]) -> dict[int, float]:
        ids = sorted(set(visitor_ids))
        if not ids:
            return {}
        scores = self._call(self._redis.zmscore, self._erased, [str(v) for v in ids])
        return {v: float(s) for v, s in zip(ids, scores, strict=True) if s is not None}

    def trim(self, *, dead_letters_before: float, tombstones_before: float) -> dict[str, int]:
        dead = self._call(self._redis.xtrim, self._dead, minid=f"{int(dead_letters_before * 1000)}-0")
        first = self._call(self._redis.xrange, self.key, count=1)
        horizon = tombstones_before
        if first:
            horizon = min(horizon, parse_id(_str(first[0][0]))[0] / 1000)
        gone = self._call(self._redis.zremrangebyscore, self._erased, "-inf", f"({horizon}")
        return {"dead_letters": int(dead), "tombstones": int(gone)}

    def ping(self) -> bool:
        return bool(self._call(self._redis.ping))

    def close(self) -> None:
        self._redis.close()
