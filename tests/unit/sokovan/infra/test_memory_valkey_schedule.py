"""InMemoryValkeySchedule: schedule marks, pending queues, route health, kernel presence."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import HealthCheckStatus
from sokovan.infra.valkey_schedule.base import HealthStatus, KernelPresence
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule

BOUND = 5.0
LIFETIME = timedelta(seconds=30)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def store(clock: ManualClock) -> InMemoryValkeySchedule:
    return InMemoryValkeySchedule(clock, presence_lifetime=LIFETIME)


# --- schedule marks -----------------------------------------------------------------------


async def test_mark_is_consumed_once(store: InMemoryValkeySchedule) -> None:
    await store.mark_schedule_needed(ScheduleType.SCHEDULE)
    await store.mark_schedule_needed(ScheduleType.SCHEDULE)  # marks coalesce
    assert await store.load_and_delete_schedule_mark(ScheduleType.SCHEDULE)
    assert not await store.load_and_delete_schedule_mark(ScheduleType.SCHEDULE)


async def test_marks_are_per_schedule_type(store: InMemoryValkeySchedule) -> None:
    await store.mark_schedule_needed(ScheduleType.START)
    assert not await store.load_and_delete_schedule_mark(ScheduleType.SCHEDULE)
    assert await store.load_and_delete_schedule_mark(ScheduleType.START)


async def test_waiter_wakes_as_soon_as_the_mark_is_set(store: InMemoryValkeySchedule) -> None:
    waiter = asyncio.create_task(store.wait_for_schedule_mark(ScheduleType.TERMINATE, 60.0))
    await asyncio.sleep(0)
    assert not waiter.done()
    await store.mark_schedule_needed(ScheduleType.TERMINATE)
    async with asyncio.timeout(BOUND):
        assert await waiter
    assert not await store.load_and_delete_schedule_mark(ScheduleType.TERMINATE)


async def test_wait_returns_at_once_for_a_mark_already_set(
    store: InMemoryValkeySchedule,
) -> None:
    await store.mark_schedule_needed(ScheduleType.SWEEP)
    assert await store.wait_for_schedule_mark(ScheduleType.SWEEP, 0)


async def test_wait_without_mark_times_out(store: InMemoryValkeySchedule) -> None:
    assert not await store.wait_for_schedule_mark(ScheduleType.SWEEP, 0.01)


async def test_one_mark_goes_to_exactly_one_of_two_waiters(
    store: InMemoryValkeySchedule,
) -> None:
    waiters = [
        asyncio.create_task(store.wait_for_schedule_mark(ScheduleType.START, 0.2)) for _ in range(2)
    ]
    await asyncio.sleep(0)
    await store.mark_schedule_needed(ScheduleType.START)
    async with asyncio.timeout(BOUND):
        results = await asyncio.gather(*waiters)
    assert sorted(results) == [False, True]


# --- pending queues and route health --------------------------------------------------------


async def test_pending_queue_is_replaced_and_copied(store: InMemoryValkeySchedule) -> None:
    first, second = SessionId(uuid.uuid4()), SessionId(uuid.uuid4())
    assert await store.get_pending_queue("default") == []
    await store.set_pending_queue("default", [first, second])
    queue = await store.get_pending_queue("default")
    queue.clear()
    assert await store.get_pending_queue("default") == [first, second]
    await store.set_pending_queue("default", [second])
    assert await store.get_pending_queue("default") == [second]
    assert await store.get_pending_queue("gpu") == []


async def test_route_health_updates_merge_and_unknown_routes_are_absent(
    store: InMemoryValkeySchedule, clock: ManualClock
) -> None:
    healthy = HealthStatus(HealthCheckStatus.HEALTHY, last_check=clock.now())
    unhealthy = HealthStatus(HealthCheckStatus.UNHEALTHY, detail="503")
    await store.update_route_health_status({"r1": healthy, "r2": healthy})
    await store.update_route_health_status({"r2": unhealthy})
    assert await store.check_route_health_status(["r1", "r2", "r3"]) == {
        "r1": healthy,
        "r2": unhealthy,
    }


# --- kernel presence ------------------------------------------------------------------------


async def test_kernel_presence_turns_stale_after_the_lifetime(
    store: InMemoryValkeySchedule, clock: ManualClock
) -> None:
    kernel, never_reported = KernelId(uuid.uuid4()), KernelId(uuid.uuid4())
    await store.update_kernel_presence([kernel])
    assert await store.check_kernel_presence([kernel, never_reported]) == {
        kernel: KernelPresence.ALIVE
    }
    clock.advance(LIFETIME)  # exactly the lifetime: still alive
    assert await store.check_kernel_presence([kernel]) == {kernel: KernelPresence.ALIVE}
    clock.advance(timedelta(microseconds=1))
    assert await store.check_kernel_presence([kernel]) == {kernel: KernelPresence.STALE}
    await store.update_kernel_presence([kernel])
    assert await store.check_kernel_presence([kernel]) == {kernel: KernelPresence.ALIVE}
