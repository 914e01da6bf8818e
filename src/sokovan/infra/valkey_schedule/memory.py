"""The in-process hint store of the embedded mode.

Schedule marks are flags with an `asyncio.Event` each, so a waiting short loop wakes the
moment a mark is set instead of polling. A mark is consumed by exactly one waiter or loader:
marks coalesce (setting a set mark again changes nothing), which is what a "there is work"
hint means.

Kernel presence keeps the time of each kernel's last report, read from the injected clock;
a report older than `presence_lifetime` reads as STALE. Entries are kept for as long as the
store lives (a timestamp per kernel ever reported), so a long-dead kernel stays STALE rather
than turning into "never reported".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from sokovan.common.clock import Clock, SystemClock
from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.infra.valkey_schedule.base import HealthStatus, KernelPresence

DEFAULT_PRESENCE_LIFETIME = timedelta(seconds=60)


class InMemoryValkeySchedule:
    """A `ValkeyScheduleClient` held in this process's memory."""

    def __init__(
        self,
        clock: Clock | None = None,
        presence_lifetime: timedelta = DEFAULT_PRESENCE_LIFETIME,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._presence_lifetime = presence_lifetime
        self._marks = {schedule_type: asyncio.Event() for schedule_type in ScheduleType}
        self._pending_queues: dict[str, list[SessionId]] = {}
        self._route_health: dict[str, HealthStatus] = {}
        self._kernel_reports: dict[KernelId, datetime] = {}

    # --- schedule marks ---------------------------------------------------------------------
    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None:
        self._marks[schedule_type].set()

    async def load_and_delete_schedule_mark(self, schedule_type: ScheduleType) -> bool:
        return self._take_mark(schedule_type)

    # The port fixes the `timeout` parameter (a Redis backend passes it to a blocking call).
    async def wait_for_schedule_mark(
        self,
        schedule_type: ScheduleType,
        timeout: float,  # noqa: ASYNC109
    ) -> bool:
        """Consume the mark as soon as it is set, waiting at most `timeout` seconds.

        With several waiters on one type, each mark goes to one of them; the others keep
        waiting until their own timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        mark = self._marks[schedule_type]
        while not self._take_mark(schedule_type):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await mark.wait()
        return True

    def _take_mark(self, schedule_type: ScheduleType) -> bool:
        mark = self._marks[schedule_type]
        was_set = mark.is_set()
        mark.clear()
        return was_set

    # --- pending queues ---------------------------------------------------------------------
    async def set_pending_queue(self, scaling_group: str, session_ids: Sequence[SessionId]) -> None:
        self._pending_queues[scaling_group] = list(session_ids)

    async def get_pending_queue(self, scaling_group: str) -> list[SessionId]:
        return list(self._pending_queues.get(scaling_group, ()))

    # --- route health -----------------------------------------------------------------------
    async def update_route_health_status(self, statuses: Mapping[str, HealthStatus]) -> None:
        self._route_health.update(statuses)

    async def check_route_health_status(
        self, route_ids: Sequence[str]
    ) -> Mapping[str, HealthStatus]:
        return {
            route_id: self._route_health[route_id]
            for route_id in route_ids
            if route_id in self._route_health
        }

    # --- kernel presence --------------------------------------------------------------------
    async def update_kernel_presence(self, kernel_ids: Sequence[KernelId]) -> None:
        now = self._clock.now()
        for kernel_id in kernel_ids:
            self._kernel_reports[kernel_id] = now

    async def check_kernel_presence(
        self, kernel_ids: Sequence[KernelId]
    ) -> Mapping[KernelId, KernelPresence]:
        """ALIVE when reported at most `presence_lifetime` ago, else STALE."""
        oldest_alive = self._clock.now() - self._presence_lifetime
        return {
            kernel_id: (KernelPresence.ALIVE if reported >= oldest_alive else KernelPresence.STALE)
            for kernel_id in kernel_ids
            if (reported := self._kernel_reports.get(kernel_id)) is not None
        }
