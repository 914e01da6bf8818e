"""LocalLockFactory: the in-process lock backend (DL-001…003 and lifetime enforcement)."""

from __future__ import annotations

import asyncio

import pytest

from sokovan.infra.locks.base import LockFactory, LockID
from sokovan.infra.locks.memory import LocalLockFactory
from unit.sokovan.infra import lock_scenarios as scenario
from unit.sokovan.infra.lock_scenarios import LOCK, Holder, acquire_and_run


def shared_factory(acquire_timeout: float | None) -> tuple[LockFactory, LockFactory]:
    """Two managers of one process share one factory, hence one lock table."""
    factory = LocalLockFactory(acquire_timeout=acquire_timeout)
    return factory, factory


async def until_waiting() -> None:
    # A blocked acquirer waits on an event, not on time: a few loop turns put it there.
    for _ in range(5):
        await asyncio.sleep(0)


async def test_dl_001_local_lock_acquired_runs_the_body() -> None:
    await scenario.body_runs_under_lock(shared_factory)


async def test_dl_002_local_lock_competing_requests_run_one_at_a_time() -> None:
    await scenario.competitors_take_turns(shared_factory, until_waiting)


async def test_dl_003_local_lock_waiter_times_out_and_next_cycle_acquires() -> None:
    await scenario.waiter_gives_up_then_retries(shared_factory)


async def test_local_lock_overdue_holder_is_overtaken() -> None:
    await scenario.overdue_holder_is_overtaken(shared_factory)


async def test_local_lock_overdue_holder_cannot_release_its_successor() -> None:
    factory = LocalLockFactory(acquire_timeout=0.05)
    overdue = Holder(factory, lifetime=0.05)
    await overdue.wait_entered()
    successor = Holder(factory)  # waits until the overdue hold expires, then takes over
    await successor.wait_entered()
    await overdue.let_go()
    with pytest.raises(TimeoutError):
        async with factory(LOCK, 60.0):
            pytest.fail("the successor still holds the lock")
    await successor.let_go()
    assert await acquire_and_run(factory)


async def test_local_lock_released_after_error() -> None:
    await scenario.released_after_error(shared_factory)


async def test_local_lock_released_after_cancellation() -> None:
    await scenario.released_after_cancellation(shared_factory)


async def test_local_lock_cancelled_waiter_leaves_nothing_held() -> None:
    await scenario.cancelled_waiter_leaves_nothing_held(shared_factory, until_waiting)


async def test_local_lock_different_ids_do_not_exclude_each_other() -> None:
    factory = LocalLockFactory(acquire_timeout=0.05)
    holder = Holder(factory)
    await holder.wait_entered()
    async with factory(LockID.LOCKID_SOKOVAN_SWEEP, 60.0):
        pass
    await holder.let_go()
