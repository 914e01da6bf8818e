"""ManualClock: aware UTC times only, moves only when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from sokovan.common.clock import Clock, ManualClock, SystemClock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KST = timezone(timedelta(hours=9))


class NoOffset(tzinfo):
    """A tzinfo that does not know its offset: datetimes carrying it are still naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_default_start_is_aware_utc() -> None:
    assert ManualClock().now().tzinfo is UTC


def test_stands_still_until_advanced() -> None:
    clock = ManualClock(T0)
    assert clock.now() == T0
    assert clock.now() == T0
    clock.advance(timedelta(seconds=90))
    assert clock.now() == T0 + timedelta(seconds=90)
    clock.advance(timedelta(milliseconds=1))
    assert clock.now() == T0 + timedelta(seconds=90, milliseconds=1)


def test_set_jumps_to_a_moment() -> None:
    clock = ManualClock(T0)
    later = T0 + timedelta(days=3)
    clock.set(later)
    assert clock.now() == later


def test_other_zones_are_reported_in_utc() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 21, 0, tzinfo=KST))
    assert clock.now() == T0
    assert clock.now().tzinfo is UTC
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=KST))
    assert clock.now() == T0 + timedelta(hours=12)
    assert clock.now().tzinfo is UTC


@pytest.mark.parametrize(
    "naive",
    [
        pytest.param(datetime(2026, 3, 1, 12, 0), id="no-tzinfo"),
        pytest.param(datetime(2026, 3, 1, 12, 0, tzinfo=NoOffset()), id="tzinfo-without-offset"),
    ],
)
def test_naive_times_are_refused(naive: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(naive)
    clock = ManualClock(T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(naive)
    assert clock.now() == T0  # a refused set leaves the clock where it was


def test_system_clock_is_aware_utc_and_both_satisfy_the_protocol() -> None:
    clocks: list[Clock] = [SystemClock(), ManualClock(T0)]
    for clock in clocks:
        assert clock.now().utcoffset() == timedelta(0)
