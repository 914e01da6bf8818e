"""Clocks. Code that needs the time takes a `Clock`, so tests can control it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests and simulations.

    It accepts aware times in any zone and reports them in UTC, as every `Clock` must; a naive
    time raises ValueError.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _as_utc(start or datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment)


def _as_utc(moment: datetime) -> datetime:
    # utcoffset(), not tzinfo, decides awareness: a tzinfo may still answer None.
    if moment.utcoffset() is None:
        raise ValueError("ManualClock needs timezone-aware times")
    return moment.astimezone(UTC)
