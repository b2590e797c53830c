"""The event stream between the API and the writers: one interface, two implementations.

The API publishes each ``POST /v1/events`` batch as one stream entry whose fields are the
batch's new events (event id -> encoded event). Writers read entries as members of one
consumer group, write them to the database, and only then acknowledge them, so delivery
is at least once; the database's unique ``event_id`` makes the count exactly once.

- :class:`~causeway.analytics.redis_stream.RedisEventStream`: Redis Streams (XADD from a
  script, XREADGROUP, XACK after the write, XAUTOCLAIM of entries a dead consumer left
  pending). Any number of ``causeway worker`` processes on any machines share the group.
- :class:`MemoryEventStream`: the embedded default (no Redis). The API process drains it
  itself at the end of each request (``inline``), so an accepted event is already stored
  when the response leaves: nothing sits in memory that a crash could lose.

Both remember published event ids for a while (to answer "duplicate" to a re-send), keep
erasure tombstones (so a writer never links a queued event to an erased visitor, even one
whose id was reused) and keep dead letters: events that could not be written after
``max_attempts`` deliveries, with the error.

Receipts: every publish returns the stream's ``epoch`` and ``stored_through``, the highest
entry id below which everything has been written (or dead-lettered). A client that keeps
each accepted batch until ``entry <= stored_through`` in the same epoch, and re-sends the
batches it still holds when the epoch changes (the stream lost its memory, e.g. a Redis
restart without persistence), loses nothing; idempotency absorbs the re-sends.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_SEQ = 2**64 - 1


class StreamUnavailable(Exception):
    """The stream cannot be reached; the caller may retry later."""


@dataclass(frozen=True)
class Entry:
    """One published batch as a writer receives it."""

    id: str
    events: list[tuple[str, bytes]]  # (event id, encoded event)
    deliveries: int = 1  # how many times the group has handed this entry out


@dataclass(frozen=True)
class Receipt:
    """Where the stream is: its epoch and the highest entry id fully written."""

    epoch: str
    stored_through: str

    def covers(self, entry: str, epoch: str) -> bool:
        """True when ``entry`` (published in ``epoch``) is written or dead-lettered."""
        return epoch == self.epoch and parse_id(entry) <= parse_id(self.stored_through)


@dataclass(frozen=True)
class Published:
    known: list[str | None]  # per event: None when new, else the entry it was queued in before
    entry: str | None  # the new entry's id, None when nothing was new
    receipt: Receipt

    @property
    def fresh(self) -> list[bool]:
        return [k is None for k in self.known]

    @property
    def last_entry(self) -> str | None:
        """The latest entry holding any of these events: once it is written, all of them are."""
        ids = [k for k in (*self.known, self.entry) if k is not None]
        return max(ids, key=parse_id) if ids else None


@dataclass(frozen=True)
class DeadLetter:
    id: str
    entry: str
    event_id: str
    payload: bytes
    error: str
    attempts: int


def parse_id(entry_id: str) -> tuple[int, int]:
    """A stream id ``"<ms>-<seq>"`` as a comparable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def format_id(ms: int, seq: int) -> str:
    return f"{ms}-{seq}"


def before(entry_id: str) -> str:
    """The greatest possible id lower than ``entry_id``."""
    ms, seq = parse_id(entry_id)
    if seq > 0:
        return format_id(ms, seq - 1)
    return format_id(ms - 1, MAX_SEQ) if ms > 0 else "0-0"


def stored_through(last_delivered: str, oldest_pending: str | None) -> str:
    """Everything up to the last delivered entry, except from the oldest pending one on."""
    if oldest_pending is None:
        return last_delivered
    return min(last_delivered, before(oldest_pending), key=parse_id)


class EventStream(ABC):
    """What the API and the writers need from the event stream."""

    #: True when the publishing process must drain the stream itself (no separate worker).
    inline: bool = False

    @abstractmethod
    def publish(self, events: Sequence[tuple[str, bytes]]) -> Published:
        """Append the events not seen before as one entry, atomically with remembering their ids
        (and the entry). Event ids must be unique within ``events``."""

    @abstractmethod
    def receipt(self) -> Receipt: ...

    @abstractmethod
    def read(self, consumer: str, count: int, block_ms: int = 0) -> list[Entry]:
        """Entries never delivered to the group before, now pending for ``consumer``."""

    @abstractmethod
    def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Pending entries idle at least ``min_idle_ms`` (their consumer died or failed), now ``consumer``'s."""

    @abstractmethod
    def ack(self, entry_ids: Sequence[str]) -> None:
        """The entries are written: drop them from the stream."""

    @abstractmethod
    def dead_letter(self, entry: Entry, failures: Sequence[tuple[str, bytes, str]]) -> None:
        """Record (event id, payload, error) for each failed event and acknowledge the entry."""

    @abstractmethod
    def dead_letters(self, count: int = 100) -> list[DeadLetter]:
        """The oldest dead letters."""

    @abstractmethod
    def pending(self) -> int:
        """Entries delivered but not yet acknowledged."""

    @abstractmethod
    def backlog(self) -> int:
        """Entries in the stream (not yet acknowledged, delivered or not)."""

    @abstractmethod
    def forget_visitor(self, visitor_id: int, at: float) -> None:
        """Erasure tombstone: events of ``visitor_id`` received up to ``at`` (epoch s) stay unlinked."""

    @abstractmethod
    def erased(self, visitor_ids: Iterable[int]) -> dict[int, float]:
        """Tombstones among ``visitor_ids``: visitor id -> erasure time (epoch s)."""

    @abstractmethod
    def trim(self, *, dead_letters_before: float, tombstones_before: float) -> dict[str, int]:
        """Retention: drop dead letters older than the first time (epoch s), and tombstones
        older than the second that no queued entry can still need."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        pass


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass
class _MemoryState:
    entries: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    undelivered: deque[str] = field(default_factory=deque)
    pending: OrderedDict[str, _Pending] = field(default_factory=OrderedDict)
    seen: OrderedDict[str, tuple[float, str]] = field(default_factory=OrderedDict)  # id -> (expiry, entry)
    dead: list[DeadLetter] = field(default_factory=list)
    erased: dict[int, float] = field(default_factory=dict)
    last_delivered: str = "0-0"
    last_id: tuple[int, int] = (0, 0)


class MemoryEventStream(EventStream):
    """The in-process stream of the embedded default, thread-safe within one process."""

    inline = True

    def __init__(self, seen_ttl_seconds: float = 3600.0, clock=time.time) -> None:  # type: ignore[no-untyped-def]
        self.epoch = secrets.token_hex(8)
        self._ttl = seen_ttl_seconds
        self._clock = clock
        self._s = _MemoryState()
        self._cond = threading.Condition()

    def _next_id(self) -> str:
        ms = int(self._clock() * 1000)
        last_ms, last_seq = self._s.last_id
        self._s.last_id = (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)
        return format_id(*self._s.last_id)

    def _receipt(self) -> Receipt:
        oldest = next(iter(self._s.pending), None)
        return Receipt(self.epoch, stored_through(self._s.last_delivered, oldest))

    def publish(self, events: Sequence[tuple[str, bytes]]) -> Published:
        now = self._clock()
        with self._cond:
            seen = self._s.seen
            while seen and next(iter(seen.values()))[0] <= now:  # constant TTL: oldest first
                seen.popitem(last=False)
            known: list[str | None] = []
            batch: list[tuple[str, bytes]] = []
            for event_id, payload in events:
                before = seen.get(event_id)
                known.append(None if before is None else before[1])
                if before is None:
                    batch.append((event_id, payload))
            entry = None
            if batch:
                entry = self._next_id()
                for event_id, _ in batch:
                    seen[event_id] = (now + self._ttl, entry)
                self._s.entries[entry] = batch
                self._s.undelivered.append(entry)
                self._cond.notify_all()
            return Published(known, entry, self._receipt())

    def receipt(self) -> Receipt:
        with self._cond:
            return self._receipt()

    def read(self, consumer: str, count: int, block_ms: int = 0) -> list[Entry]:
        deadline = time.monotonic() + block_ms / 1000
        with self._cond:
            while not self._s.undelivered and block_ms > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            out: list[Entry] = []
            now = self._clock()
            while self._s.undelivered and len(out) < count:
                entry_id = self._s.undelivered.popleft()
                self._s.pending[entry_id] = _Pending(consumer, now, 1)
                self._s.last_delivered = entry_id
                out.append(Entry(entry_id, self._s.entries[entry_id], 1))
            return out

    def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        now = self._clock()
        out: list[Entry] = []
        with self._cond:
            for entry_id, p in self._s.pending.items():
                if len(out) >= count:
                    break
                if (now - p.delivered_at) * 1000 >= min_idle_ms:
                    p.consumer, p.delivered_at, p.deliveries = consumer, now, p.deliveries + 1
                    out.append(Entry(entry_id, self._s.entries[entry_id], p.deliveries))
        return out

    def ack(self, entry_ids: Sequence[str]) -> None:
        with self._cond:
            for entry_id in entry_ids:
                if self._s.pending.pop(entry_id, None) is not None:
                    self._s.entries.pop(entry_id, None)

    def dead_letter(self, entry: Entry, failures: Sequence[tuple[str, bytes, str]]) -> None:
        with self._cond:
            for event_id, payload, error in failures:
                self._s.dead.append(DeadLetter(self._next_id(), entry.id, event_id, payload, error,
                                               entry.deliveries))
        self.ack([entry.id])

    def dead_letters(self, count: int = 100) -> list[DeadLetter]:
        with self._cond:
            return list(self._s.dead[:count])

    def pending(self) -> int:
        with self._cond:
            return len(self._s.pending)

    def backlog(self) -> int:
        with self._cond:
            return len(self._s.entries)

    def forget_visitor(self, visitor_id: int, at: float) -> None:
        with self._cond:
            self._s.erased[visitor_id] = max(at, self._s.erased.get(visitor_id, at))

    def erased(self, visitor_ids: Iterable[int]) -> dict[int, float]:
        with self._cond:
            return {v: self._s.erased[v] for v in set(visitor_ids) if v in self._s.erased}

    def trim(self, *, dead_letters_before: float, tombstones_before: float) -> dict[str, int]:
        with self._cond:
            keep = [d for d in self._s.dead if parse_id(d.id)[0] >= dead_letters_before * 1000]
            trimmed = len(self._s.dead) - len(keep)
            self._s.dead = keep
            oldest = next(iter(self._s.entries), None)
            horizon = tombstones_before if oldest is None else min(
                tombstones_before, parse_id(oldest)[0] / 1000)
            gone = [v for v, at in self._s.erased.items() if at < horizon]
            for v in gone:
                del self._s.erased[v]
        return {"dead_letters": trimmed, "tombstones": len(gone)}


def make_stream(settings) -> EventStream:  # type: ignore[no-untyped-def]
    """Redis Streams when ``settings.redis_url`` is set, otherwise the in-process stream."""
    if settings.redis_url:
        from causeway.analytics.redis_stream import RedisEventStream

        return RedisEventStream(settings.redis_url, key=settings.event_stream,
                                group=settings.event_consumer_group,
                                seen_ttl_seconds=settings.event_seen_ttl_seconds)
    return MemoryEventStream(seen_ttl_seconds=settings.event_seen_ttl_seconds)
