"""A small in-process TTL cache for per-access-key occupancy.

Reading occupancy aggregates every resource-occupying session of a key; callers that ask
often (quota checks, "why pending" displays) get the value from here until it expires or a
write invalidates it. The cache lives in one process: other managers' writes are bounded by
the TTL, this process's writes invalidate at once.

A read that started before an invalidation must not put its (possibly stale) result back:
`begin_read` returns a token and `put_many` drops values for keys invalidated since then.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sokovan.common.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Entries expire `ttl` after they were stored; at most `max_entries` are kept."""

    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int = 10_000) -> None:
        if ttl <= timedelta(0) or max_entries < 1:
            raise ValueError("a TTL cache needs a positive ttl and room for one entry")
        self._clock = clock
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[K, tuple[datetime, V]] = {}
        self._generation = 0
        #: Generation at which each key was last invalidated (one int per key ever dropped).
        self._invalidated: dict[K, int] = {}

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The fresh entries among `keys`; expired ones are dropped on the way."""
        now = self._clock.now()
        found: dict[K, V] = {}
        for key in keys:
            entry = self._entries.get(key)
            if entry is None:
                continue
            if entry[0] <= now:
                del self._entries[key]
                continue
            found[key] = entry[1]
        return found

    def begin_read(self) -> int:
        """A token to pass to `put_many` for values read from now on."""
        return self._generation

    def put_many(self, values: Mapping[K, V], token: int) -> None:
        """Store `values`, except for keys invalidated after `token` was taken."""
        expires = self._clock.now() + self._ttl
        for key, value in values.items():
            if self._invalidated.get(key, -1) > token:
                continue
            self._entries.pop(key, None)  # re-insert so dict order is storage order
            self._entries[key] = (expires, value)
        self._evict()

    def invalidate(self, keys: Iterable[K]) -> None:
        """Drop `keys`; reads that began before this call will not store them again."""
        self._generation += 1
        for key in keys:
            self._entries.pop(key, None)
            self._invalidated[key] = self._generation

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        if len(self._entries) <= self._max_entries:
            return
        now = self._clock.now()
        for key in [key for key, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) > self._max_entries:
            # Dicts keep insertion order and puts re-insert, so the first key is the oldest.
            del self._entries[next(iter(self._entries))]
