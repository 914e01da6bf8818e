"""The scheduler's monitoring port: cycle durations and placement counts."""

from __future__ import annotations

import pytest

from sokovan.common.scheduling import ScheduleType
from sokovan.scheduler.observer import MeteredScheduleRunner


class RecordingObserver:
    def __init__(self) -> None:
        self.cycles: list[tuple[ScheduleType, float]] = []
        self.placements: list[int] = []
        self.unscheduled: list[tuple[str, int]] = []

    def observe_cycle(self, schedule_type: ScheduleType, seconds: float) -> None:
        self.cycles.append((schedule_type, seconds))

    def count_placements(self, n: int) -> None:
        self.placements.append(n)

    def count_unscheduled(self, code: str, n: int = 1) -> None:
        self.unscheduled.append((code, n))


class Runner:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        if self.fail:
            raise RuntimeError("boom")
        return True


async def test_every_run_is_timed_per_schedule_type() -> None:
    observer = RecordingObserver()

    assert await MeteredScheduleRunner(Runner(), observer).process_lifecycle_schedule(
        ScheduleType.START
    )

    ((schedule_type, seconds),) = observer.cycles
    assert schedule_type is ScheduleType.START
    assert seconds >= 0


async def test_a_failing_run_is_timed_and_still_raises() -> None:
    observer = RecordingObserver()

    with pytest.raises(RuntimeError, match="boom"):
        await MeteredScheduleRunner(Runner(fail=True), observer).process_lifecycle_schedule(
            ScheduleType.SCHEDULE
        )

    assert [t for t, _ in observer.cycles] == [ScheduleType.SCHEDULE]
