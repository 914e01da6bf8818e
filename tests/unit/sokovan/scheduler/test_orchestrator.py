"""SokovanOrchestrator: hint-driven short loops, periodic long loops, resilience, clean stop.

The runner is a recording fake; every wait is on a condition bounded by `BOUND`, which only a
failing test reaches.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

import pytest

from sokovan.common.scheduling import ScheduleType
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.scheduler.orchestrator import SokovanOrchestrator

BOUND = 5.0
#: So long that a long loop runs only once (at start) during a test.
NEVER = 3600.0
SCHEDULE = ScheduleType.SCHEDULE


class RecordingRunner:
    """Records runs; can fail with queued errors or block until released."""

    def __init__(self) -> None:
        self.calls: list[ScheduleType] = []
        self.errors: list[BaseException] = []
        self.cancelled = 0
        self.blocker: asyncio.Event | None = None
        self.peak: Counter[ScheduleType] = Counter()
        self._active: Counter[ScheduleType] = Counter()
        self._changed = asyncio.Condition()

    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        self._active[schedule_type] += 1
        self.peak[schedule_type] = max(self.peak[schedule_type], self._active[schedule_type])
        try:
            async with self._changed:
                self.calls.append(schedule_type)
                self._changed.notify_all()
            if self.blocker is not None:
                await self.blocker.wait()
            if self.errors:
                raise self.errors.pop(0)
            return True
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self._active[schedule_type] -= 1

    def count(self, schedule_type: ScheduleType = SCHEDULE) -> int:
        return self.calls.count(schedule_type)

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(BOUND), self._changed:
            await self._changed.wait_for(predicate)


class ObservedStore(InMemoryValkeySchedule):
    """Signals when a short loop clears its marks, i.e. right before it runs its type."""

    def __init__(self) -> None:
        super().__init__()
        self.cleared = asyncio.Event()

    async def load_and_delete_schedule_mark(self, schedule_type: ScheduleType) -> bool:
        self.cleared.set()
        return await super().load_and_delete_schedule_mark(schedule_type)


class BrokenStore(InMemoryValkeySchedule):
    async def wait_for_schedule_mark(self, schedule_type: ScheduleType, timeout: float) -> bool:  # noqa: ASYNC109
        raise ConnectionError("hint store unreachable")


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def store() -> ObservedStore:
    return ObservedStore()


def orchestrator(
    runner: RecordingRunner,
    store: InMemoryValkeySchedule,
    *,
    long_interval: float = NEVER,
    short_interval: float = NEVER,
    coalesce_window: float = 0.005,
    schedule_types: tuple[ScheduleType, ...] = (SCHEDULE,),
) -> SokovanOrchestrator:
    return SokovanOrchestrator(
        runner,
        store,
        schedule_types=schedule_types,
        short_interval=short_interval,
        long_interval=long_interval,
        coalesce_window=coalesce_window,
    )


async def test_long_loop_runs_each_type_once_at_start(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    types = (ScheduleType.START, ScheduleType.TERMINATE)
    subject = orchestrator(runner, store, schedule_types=types)
    subject.start()
    await runner.wait_until(lambda: all(runner.count(t) >= 1 for t in types))
    await subject.stop()
    assert set(runner.calls) == set(types)


async def test_mark_wakes_the_short_loop_without_polling(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    # The short loop's wait is an hour long: only the mark can wake it within the bound.
    subject = orchestrator(runner, store)
    subject.start()
    await runner.wait_until(lambda: runner.count() == 1)
    await store.mark_schedule_needed(SCHEDULE)
    await runner.wait_until(lambda: runner.count() == 2)
    await subject.stop()


async def test_burst_of_marks_is_coalesced_into_one_run(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    subject = orchestrator(runner, store, coalesce_window=0.2)
    subject.start()
    await runner.wait_until(lambda: runner.count() == 1)
    for _ in range(20):
        await store.mark_schedule_needed(SCHEDULE)
        await asyncio.sleep(0)
    await runner.wait_until(lambda: runner.count() == 2)
    # Every mark of the burst was absorbed by that one run.
    assert not await store.load_and_delete_schedule_mark(SCHEDULE)
    await subject.stop()
    assert runner.count() == 2


async def test_long_loop_runs_periodically_without_marks(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    subject = orchestrator(runner, store, long_interval=0.01)
    subject.start()
    await runner.wait_until(lambda: runner.count() >= 3)
    await subject.stop()


async def test_failing_runs_are_logged_and_loops_keep_going(
    runner: RecordingRunner, store: ObservedStore, caplog: pytest.LogCaptureFixture
) -> None:
    runner.errors = [RuntimeError("boom")] * 3
    subject = orchestrator(runner, store)
    subject.start()
    await runner.wait_until(lambda: runner.count() == 1)  # the long loop's run failed
    await store.mark_schedule_needed(SCHEDULE)
    await runner.wait_until(lambda: runner.count() == 2)  # the short loop's run failed
    await store.mark_schedule_needed(SCHEDULE)
    await runner.wait_until(lambda: runner.count() == 3)  # and it still runs
    await subject.stop()
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert len(failures) >= 2


async def test_dl_003_lock_timeout_skips_the_cycle_and_the_next_cycle_retries(
    runner: RecordingRunner, store: ObservedStore, caplog: pytest.LogCaptureFixture
) -> None:
    runner.errors = [TimeoutError("lock busy")]
    subject = orchestrator(runner, store, long_interval=0.01)
    subject.start()
    await runner.wait_until(lambda: runner.count() >= 2)
    await subject.stop()
    assert not runner.errors
    assert any("lock is busy" in record.getMessage() for record in caplog.records)


async def test_runs_of_one_type_never_overlap(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    runner.blocker = asyncio.Event()
    subject = orchestrator(runner, store, coalesce_window=0)
    subject.start()
    await runner.wait_until(lambda: runner.count() == 1)  # the long loop's run, blocked
    await store.mark_schedule_needed(SCHEDULE)
    async with asyncio.timeout(BOUND):
        await store.cleared.wait()  # the short loop is about to run SCHEDULE too
    for _ in range(5):
        await asyncio.sleep(0)
    assert runner.count() == 1
    runner.blocker.set()
    await runner.wait_until(lambda: runner.count() == 2)
    await subject.stop()
    assert runner.peak[SCHEDULE] == 1


async def test_unreachable_hint_store_does_not_stop_the_long_loop(
    runner: RecordingRunner, caplog: pytest.LogCaptureFixture
) -> None:
    subject = orchestrator(runner, BrokenStore(), short_interval=0.01, long_interval=0.01)
    subject.start()
    await runner.wait_until(lambda: runner.count() >= 2)
    await subject.stop()
    assert any("waiting for the" in record.getMessage() for record in caplog.records)


async def test_stop_cancels_a_run_in_progress_and_ends_every_loop(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    runner.blocker = asyncio.Event()  # never set: the run hangs until cancelled
    subject = orchestrator(runner, store, schedule_types=tuple(ScheduleType))
    subject.start()
    await runner.wait_until(lambda: len(runner.calls) == len(ScheduleType))
    async with asyncio.timeout(BOUND):
        await subject.stop()
    assert not subject.running
    assert runner.cancelled == len(ScheduleType)
    loops = [t for t in asyncio.all_tasks() if t.get_name().startswith("sokovan-")]
    assert loops == []


async def test_start_twice_is_refused_and_a_stopped_orchestrator_restarts(
    runner: RecordingRunner, store: ObservedStore
) -> None:
    subject = orchestrator(runner, store)
    await subject.stop()  # stopping what never started is harmless
    subject.start()
    with pytest.raises(RuntimeError, match="already running"):
        subject.start()
    await runner.wait_until(lambda: runner.count() == 1)
    await subject.stop()
    subject.start()
    await runner.wait_until(lambda: runner.count() == 2)
    await subject.stop()


@pytest.mark.parametrize(("short", "long", "window"), [(0, 1, 0), (1, 0, 0), (1, 1, -0.1)], ids=str)
def test_invalid_intervals_are_refused(short: float, long: float, window: float) -> None:
    with pytest.raises(ValueError, match="intervals"):
        SokovanOrchestrator(
            RecordingRunner(),
            InMemoryValkeySchedule(),
            short_interval=short,
            long_interval=long,
            coalesce_window=window,
        )
