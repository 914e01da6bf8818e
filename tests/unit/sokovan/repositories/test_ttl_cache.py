"""TtlCache: expiry, invalidation, the stale-read guard and the size bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.repositories.scheduler.occupancy_cache import TtlCache

T0 = datetime(2026, 3, 1, tzinfo=UTC)
TTL = timedelta(seconds=10)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def cache(clock: ManualClock) -> TtlCache[str, int]:
    return TtlCache(clock, TTL)


def test_entries_are_served_until_they_expire(
    cache: TtlCache[str, int], clock: ManualClock
) -> None:
    cache.put_many({"a": 1, "b": 2}, cache.begin_read())

    clock.advance(TTL - timedelta(microseconds=1))
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    clock.advance(timedelta(microseconds=1))
    assert cache.get_many(["a", "b"]) == {}
    assert len(cache) == 0


def test_invalidation_drops_only_the_given_keys(cache: TtlCache[str, int]) -> None:
    cache.put_many({"a": 1, "b": 2}, cache.begin_read())

    cache.invalidate(["a"])

    assert cache.get_many(["a", "b"]) == {"b": 2}


def test_a_read_begun_before_an_invalidation_is_not_stored(cache: TtlCache[str, int]) -> None:
    token = cache.begin_read()
    cache.invalidate(["a"])  # a write committed while the read was in flight

    cache.put_many({"a": 1, "b": 2}, token)

    assert cache.get_many(["a", "b"]) == {"b": 2}
    cache.put_many({"a": 3}, cache.begin_read())
    assert cache.get_many(["a"]) == {"a": 3}


def test_the_oldest_entries_go_first_when_full(clock: ManualClock) -> None:
    cache: TtlCache[str, int] = TtlCache(clock, TTL, max_entries=2)
    cache.put_many({"a": 1}, cache.begin_read())
    cache.put_many({"b": 2}, cache.begin_read())
    cache.put_many({"a": 10}, cache.begin_read())  # refreshing "a" makes "b" the oldest

    cache.put_many({"c": 3}, cache.begin_read())

    assert cache.get_many(["a", "b", "c"]) == {"a": 10, "c": 3}


@pytest.mark.parametrize(("ttl", "size"), [(timedelta(0), 1), (TTL, 0)])
def test_a_useless_configuration_is_refused(clock: ManualClock, ttl: timedelta, size: int) -> None:
    with pytest.raises(ValueError, match="positive ttl"):
        TtlCache(clock, ttl, max_entries=size)
