"""SokovanOrchestrator: when each ScheduleType runs (DESIGN §4).

Two loops per ScheduleType drive one `ScheduleRunner` (the ScheduleCoordinator):

- the *short* loop waits on the type's schedule mark and runs the type as soon as one
  arrives. It first lets a short coalescing window pass and absorbs the marks set meanwhile,
  so a burst of hints (a hundred submissions in a few milliseconds) costs one run, not a
  hundred. This is what makes the scheduler fast: there is no fixed polling sleep.
- the *long* loop runs the type at start and then every `long_interval`, marks or not. This
  is what makes it safe: a lost hint (a restart, a crash between commit and mark) delays work
  by at most one long interval.

Runs of one type never overlap within this process (a per-type lock); different types run
concurrently. A run that raises is logged and its loop carries on; a lock that could not be
taken in time (`TimeoutError`) means another manager is doing that step, and the next cycle
tries again. After a successful run nothing is marked here: the coordinator's post-processors
mark the types that follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from sokovan.common.scheduling import ScheduleType
from sokovan.infra.valkey_schedule.base import ValkeyScheduleClient

log = logging.getLogger(__name__)

DEFAULT_SHORT_INTERVAL = 2.0
DEFAULT_LONG_INTERVAL = 30.0
DEFAULT_COALESCE_WINDOW = 0.005
ALL_SCHEDULE_TYPES = tuple(ScheduleType)


class ScheduleRunner(Protocol):
    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        """Run one cycle of `schedule_type`; True when it did something."""
        ...


class SokovanOrchestrator:
    """Runs every configured ScheduleType on hints (short loop) and periodically (long loop).

    `short_interval` is the longest single wait for a mark (how often the short loop comes
    back to check that it should still run); `long_interval` the period of the long loop;
    `coalesce_window` the pause between a mark and the run it triggers.
    """

    def __init__(
        self,
        runner: ScheduleRunner,
        valkey_schedule: ValkeyScheduleClient,
        *,
        schedule_types: Iterable[ScheduleType] = ALL_SCHEDULE_TYPES,
        short_interval: float = DEFAULT_SHORT_INTERVAL,
        long_interval: float = DEFAULT_LONG_INTERVAL,
        coalesce_window: float = DEFAULT_COALESCE_WINDOW,
    ) -> None:
        if short_interval <= 0 or long_interval <= 0 or coalesce_window < 0:
            raise ValueError("intervals must be positive and the coalescing window not negative")
        self._runner = runner
        self._valkey = valkey_schedule
        self._schedule_types = tuple(dict.fromkeys(schedule_types))
        self._short_interval = short_interval
        self._long_interval = long_interval
        self._coalesce_window = coalesce_window
        self._run_locks: dict[ScheduleType, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self) -> None:
        """Start both loops of every type; call from a running event loop, once until stop."""
        if self._tasks:
            raise RuntimeError("the orchestrator is already running")
        self._run_locks = {schedule_type: asyncio.Lock() for schedule_type in self._schedule_types}
        for schedule_type in self._schedule_types:
            self._spawn(self._short_loop, schedule_type, "short")
            self._spawn(self._long_loop, schedule_type, "long")

    async def stop(self) -> None:
        """Cancel every loop (an ongoing run is cancelled too) and wait until all have ended."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(
        self,
        loop: Callable[[ScheduleType], Coroutine[Any, Any, None]],
        schedule_type: ScheduleType,
        kind: str,
    ) -> None:
        name = f"sokovan-{kind}-loop-{schedule_type.value}"
        self._tasks.append(asyncio.create_task(loop(schedule_type), name=name))

    async def _short_loop(self, schedule_type: ScheduleType) -> None:
        while True:
            try:
                marked = await self._valkey.wait_for_schedule_mark(
                    schedule_type, self._short_interval
                )
            except Exception:
                # The hint store is unreachable: back off; the long loop keeps things moving.
                log.exception("waiting for the %s mark failed", schedule_type)
                await asyncio.sleep(self._short_interval)
                continue
            if marked:
                await self._run_coalesced(schedule_type)

    async def _run_coalesced(self, schedule_type: ScheduleType) -> None:
        await asyncio.sleep(self._coalesce_window)
        try:
            # Marks set during the window describe work this run will see anyway.
            await self._valkey.load_and_delete_schedule_mark(schedule_type)
        except Exception:
            log.exception("clearing the %s mark failed", schedule_type)
        await self._run(schedule_type)

    async def _long_loop(self, schedule_type: ScheduleType) -> None:
        while True:
            await self._run(schedule_type)
            await asyncio.sleep(self._long_interval)

    async def _run(self, schedule_type: ScheduleType) -> None:
        """One cycle of `schedule_type`; never raises except on cancellation."""
        async with self._run_locks[schedule_type]:
            try:
                await self._runner.process_lifecycle_schedule(schedule_type)
            except TimeoutError:
                log.warning("%s skipped: its lock is busy; the next cycle retries", schedule_type)
            except Exception:
                log.exception("%s failed; the next cycle retries", schedule_type)
