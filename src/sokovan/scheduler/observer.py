"""What the scheduler reports for monitoring, as a port (the API's Prometheus metrics fit it)."""

from __future__ import annotations

import time
from typing import Protocol

from sokovan.common.scheduling import ScheduleType
from sokovan.scheduler.orchestrator import ScheduleRunner


class SchedulerObserver(Protocol):
    def observe_cycle(self, schedule_type: ScheduleType, seconds: float) -> None: ...

    def count_placements(self, n: int) -> None: ...

    def count_unscheduled(self, code: str, n: int = 1) -> None: ...


class MeteredScheduleRunner:
    """A ScheduleRunner that reports how long every run of each schedule type took."""

    def __init__(self, runner: ScheduleRunner, observer: SchedulerObserver) -> None:
        self._runner = runner
        self._observer = observer

    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        # A monotonic duration, not the injected clock: this measures work, not domain time.
        started = time.perf_counter()
        try:
            return await self._runner.process_lifecycle_schedule(schedule_type)
        finally:
            self._observer.observe_cycle(schedule_type, time.perf_counter() - started)
